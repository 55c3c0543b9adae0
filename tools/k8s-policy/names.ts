/**
 * Names: what the API server validates and no offline schema does (DNS-1123/1035 names, port
 * names, label syntax).
 */
import { type Labels, ofKind, workloadsOf, allContainersOf } from './objects';
import { type KubernetesObject, nameOf } from './rendering';
import type { Service } from 'kubernetes-types/core/v1';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const IANA_SERVICE_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?=[a-z0-9]))*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function labelProblems(labels: Labels | undefined, where: string): string[] {
  return Object.entries(labels ?? {}).flatMap(([key, value]) => {
    const problems: string[] = [];
    const [prefix, name] = key.includes('/')
      ? key.split('/', 2)
      : [undefined, key];
    if (
      !LABEL_NAME.test(name) ||
      name.length > 63 ||
      (prefix !== undefined &&
        (!DNS1123_SUBDOMAIN.test(prefix) || prefix.length > 253))
    )
      problems.push(`${where}: invalid label key "${key}"`);
    if (
      typeof value !== 'string' ||
      !LABEL_VALUE.test(value) ||
      value.length > 63
    )
      problems.push(`${where}: invalid label value ${key}=${String(value)}`);
    return problems;
  });
}

/** Names the API server would refuse: DNS-1123/1035 names, port names, label syntax. */
export function checkNames(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const name = object.metadata?.name ?? '';
    const where = nameOf(object);
    // Namespaces and Services become DNS labels; a Service name must also start with a letter.
    const [pattern, limit, rule] =
      object.kind === 'Service'
        ? [DNS1035_LABEL, 63, 'a DNS-1035 label']
        : object.kind === 'Namespace'
          ? [DNS1123_LABEL, 63, 'a DNS-1123 label']
          : [DNS1123_SUBDOMAIN, 253, 'a DNS-1123 subdomain'];
    if (!pattern.test(name) || name.length > limit)
      problems.push(`${where}: name "${name}" is not ${rule}`);
    if (
      object.metadata?.namespace !== undefined &&
      !DNS1123_LABEL.test(object.metadata.namespace)
    )
      problems.push(
        `${where}: namespace "${object.metadata.namespace}" is not a DNS-1123 label`,
      );
    problems.push(...labelProblems(object.metadata?.labels, where));
  }
  for (const workload of workloadsOf(objects)) {
    problems.push(
      ...labelProblems(
        workload.template.metadata?.labels,
        `${nameOf(workload.object)} pod template`,
      ),
    );
    // Pod names are `<workload>-<hash>-<suffix>` and end up as DNS labels (hostnames).
    if (workload.name.length > 52)
      problems.push(
        `${nameOf(workload.object)}: name longer than 52 characters leaves no room for pod suffixes`,
      );
  }
  for (const { container, where } of allContainersOf(objects)) {
    if (!DNS1123_LABEL.test(container.name))
      problems.push(`${where}: container name is not a DNS-1123 label`);
    for (const port of container.ports ?? [])
      if (
        port.name !== undefined &&
        (!IANA_SERVICE_NAME.test(port.name) || port.name.length > 15)
      )
        problems.push(
          `${where}: port name "${port.name}" is not an IANA service name (≤ 15 characters, a letter, no "--")`,
        );
  }
  for (const service of ofKind<Service>(objects, 'Service'))
    for (const port of service.spec?.ports ?? [])
      if (
        port.name !== undefined &&
        (!IANA_SERVICE_NAME.test(port.name) || port.name.length > 15)
      )
        problems.push(
          `${nameOf(service)}: port name "${port.name}" is not an IANA service name`,
        );
  return problems;
}

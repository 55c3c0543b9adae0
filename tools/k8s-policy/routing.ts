/**
 * Services and the entry point: every Service reaches its pods, the Ingress routes exactly what
 * the controllers serve.
 */
import {
  ofKind,
  workloadsOf,
  appContainersOf,
  selects,
  portOf,
} from './objects';
import { parsedEnvironment } from './environment';
import { type KubernetesObject, nameOf } from './rendering';
import type { CodeFacts } from './code-facts';
import type { Service } from 'kubernetes-types/core/v1';
import type { Ingress } from 'kubernetes-types/networking/v1';

/**
 * Every Service selects pods of some workload (in its namespace) and its targetPort names a
 * port every selected pod has. Every Ingress backend is a rendered Service and one of its ports.
 */
export function checkServices(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  const workloads = workloadsOf(objects);
  const services = ofKind<Service>(objects, 'Service');
  for (const service of services) {
    const where = nameOf(service);
    const selector = service.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) {
      problems.push(`${where}: no selector`);
      continue;
    }
    const selected = workloads.filter(
      (workload) =>
        workload.namespace === service.metadata.namespace &&
        selects({ matchLabels: selector }, workload.template.metadata?.labels),
    );
    if (selected.length === 0)
      problems.push(
        `${where}: selector ${JSON.stringify(selector)} matches no pod template`,
      );
    for (const port of service.spec?.ports ?? [])
      for (const workload of selected) {
        const target = port.targetPort ?? port.port;
        const containerPorts = workload.pod.containers.flatMap(
          (container) => container.ports ?? [],
        );
        if (!portOf(containerPorts, target))
          problems.push(
            `${where}: port ${port.name ?? port.port} targets ${target}, which ${nameOf(workload.object)} does not expose`,
          );
      }
  }
  for (const ingress of ofKind<Ingress>(objects, 'Ingress'))
    for (const rule of ingress.spec?.rules ?? [])
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend.service;
        const service = services.find(
          (candidate) => candidate.metadata.name === backend?.name,
        );
        const where = `${nameOf(ingress)} path ${path.path}`;
        if (!service) {
          problems.push(
            `${where}: backend Service ${backend?.name} is not rendered`,
          );
          continue;
        }
        const port = (service.spec?.ports ?? []).find((candidate) =>
          backend?.port?.name !== undefined
            ? candidate.name === backend.port.name
            : candidate.port === backend?.port?.number,
        );
        if (!port)
          problems.push(
            `${where}: Service ${service.metadata.name} has no port ${backend?.port?.name ?? backend?.port?.number}`,
          );
      }
  return problems;
}

/** The paths each workload must receive through the entry point, from its controllers. */
export function expectedRoutes(
  objects: KubernetesObject[],
  facts: CodeFacts,
): { path: string; workload: string }[] {
  return appContainersOf(objects, facts).flatMap(
    ({ container, workload, app }) => {
      const prefix = parsedEnvironment(container, app, objects)
        ?.ROUTE_PREFIX as string | undefined;
      return [
        ...new Set(
          app.controllerPaths.map((path) =>
            path === '/' ? (prefix ?? '/') : path,
          ),
        ),
      ].map((path) => ({ path, workload: workload.name }));
    },
  );
}

/**
 * The entry point routes every controller path (and each cart's ROUTE_PREFIX) to the Service of
 * the workload that serves it, nothing else, and never the health routes. A workload whose
 * sessions live in memory gets cookie affinity on its Service (else every request would land on
 * a random pod that has never seen the session).
 */
export function checkEntryPoint(
  objects: KubernetesObject[],
  facts: CodeFacts,
): string[] {
  const problems: string[] = [];
  const services = ofKind<Service>(objects, 'Service');
  const workloads = workloadsOf(objects);
  const serviceOf = (serviceName: string | undefined) =>
    services.find((service) => service.metadata.name === serviceName);
  const routed = ofKind<Ingress>(objects, 'Ingress').flatMap((ingress) =>
    (ingress.spec?.rules ?? []).flatMap((rule) =>
      (rule.http?.paths ?? []).map((path) => {
        const service = serviceOf(path.backend.service?.name);
        const workload = workloads.find((candidate) =>
          selects(
            { matchLabels: service?.spec?.selector ?? {} },
            candidate.template.metadata?.labels,
          ),
        );
        return {
          path: path.path ?? '/',
          pathType: path.pathType,
          workload: workload?.name,
        };
      }),
    ),
  );
  const expected = expectedRoutes(objects, facts);
  for (const route of expected) {
    const match = routed.find((candidate) => candidate.path === route.path);
    if (!match)
      problems.push(
        `the entry point does not route ${route.path} (served by ${route.workload})`,
      );
    else if (match.workload !== route.workload)
      problems.push(
        `the entry point routes ${route.path} to ${match.workload}, but ${route.workload} serves it`,
      );
    else if (match.pathType !== 'Prefix')
      problems.push(
        `the entry point routes ${route.path} as ${match.pathType}; ${route.workload} serves everything below it (Prefix)`,
      );
  }
  const healthRoutes = Object.values(facts.healthRoutes);
  for (const route of routed) {
    if (
      healthRoutes.some(
        (health) =>
          health === route.path || health.startsWith(`${route.path}/`),
      ) ||
      route.path === '/'
    )
      problems.push(
        `the entry point routes ${route.path}, which exposes the health routes`,
      );
    if (!expected.some((candidate) => candidate.path === route.path))
      problems.push(
        `the entry point routes ${route.path}, which no controller serves`,
      );
  }
  for (const { container, workload, app } of appContainersOf(objects, facts)) {
    if (parsedEnvironment(container, app, objects)?.SESSION_STORE !== 'memory')
      continue;
    const service = services.find((candidate) =>
      selects(
        { matchLabels: candidate.spec?.selector ?? {} },
        workload.template.metadata?.labels,
      ),
    );
    const annotations = service?.metadata?.annotations ?? {};
    if (
      annotations['traefik.ingress.kubernetes.io/service.sticky.cookie'] !==
      'true'
    )
      problems.push(
        `${nameOf(workload.object)} keeps sessions in memory but its Service has no cookie affinity`,
      );
    else if (
      annotations[
        'traefik.ingress.kubernetes.io/service.sticky.cookie.httponly'
      ] !== 'true'
    )
      problems.push(
        `${nameOf(workload.object)}: the affinity cookie must be HttpOnly like every cookie of the stack`,
      );
  }
  return problems;
}

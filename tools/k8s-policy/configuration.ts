/**
 * ConfigMaps and Secrets: every reference rendered, every object from a kustomize generator.
 */
import { workloadsOf, allContainersOf } from './objects';
import { dataOf, resolveEnvironment } from './environment';
import { type KubernetesObject, nameOf } from './rendering';

/** Every ConfigMap/Secret a pod refers to (env, envFrom, volumes) is rendered, with its keys. */
export function checkReferences(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const { container, where } of allContainersOf(objects))
    problems.push(
      ...resolveEnvironment(container, objects).problems.map(
        (line) => `${where}: ${line}`,
      ),
    );
  for (const workload of workloadsOf(objects))
    for (const volume of workload.pod.volumes ?? []) {
      const reference = volume.secret
        ? {
            kind: 'Secret' as const,
            name: volume.secret.secretName,
            items: volume.secret.items,
            optional: volume.secret.optional,
          }
        : volume.configMap
          ? {
              kind: 'ConfigMap' as const,
              name: volume.configMap.name,
              items: volume.configMap.items,
              optional: volume.configMap.optional,
            }
          : undefined;
      if (!reference || reference.optional) continue;
      const data = dataOf(objects, reference.kind, reference.name ?? '');
      const where = `${nameOf(workload.object)} volume ${volume.name}`;
      if (!data)
        problems.push(
          `${where}: ${reference.kind}/${reference.name} is not rendered`,
        );
      else
        for (const item of reference.items ?? [])
          if (!(item.key in data))
            problems.push(
              `${where}: key ${item.key} of ${reference.kind}/${reference.name} is not rendered`,
            );
    }
  return problems;
}

/**
 * Every Secret and ConfigMap comes from a kustomize generator: its name carries the content hash,
 * so a changed value rolls the pods that use it, and no Secret value sits in a committed manifest.
 */
export function checkGeneratedConfiguration(
  objects: KubernetesObject[],
): string[] {
  return objects
    .filter(
      (object) =>
        (object.kind === 'Secret' || object.kind === 'ConfigMap') &&
        !/-[a-z0-9]{10}$/.test(object.metadata.name),
    )
    .map(
      (object) =>
        `${nameOf(object)}: not from a generator (no content-hash suffix)${object.kind === 'Secret' ? '; a hand-written Secret means a committed secret' : ''}`,
    );
}

import { DEPLOYMENTS } from '../deployments';
import { ofKind, workloadsOf } from './objects';
import type { KubernetesObject } from './rendering';

/**
 * The manifests against tools/deployments.ts, the list the lab, the bench and the experiment
 * run: the same apps, the same replica counts, and a sticky Service exactly where the list says
 * the app keeps its state in memory. One line a disagreement; none when they agree.
 */
export function deploymentListDisagreements(
  objects: KubernetesObject[],
): string[] {
  const workloads = new Map(
    workloadsOf(objects)
      .filter((workload) => workload.object.kind === 'Deployment')
      .map((workload) => [workload.name, workload]),
  );
  const problems: string[] = [];
  for (const deployment of DEPLOYMENTS) {
    const workload = workloads.get(deployment.name);
    if (!workload) {
      problems.push(
        `${deployment.name}: in tools/deployments.ts, no Deployment`,
      );
      continue;
    }
    if (workload.replicas !== deployment.replicas)
      problems.push(
        `${deployment.name}: replicas ${workload.replicas} in the manifest, ${deployment.replicas} in tools/deployments.ts`,
      );
  }
  const listed = new Set<string>(DEPLOYMENTS.map((d) => d.name));
  for (const name of workloads.keys())
    if (!listed.has(name))
      problems.push(`${name}: a Deployment missing from tools/deployments.ts`);
  const sticky = new Set(
    ofKind<{ metadata: { annotations?: Record<string, string> } }>(
      objects,
      'Service',
    )
      .filter(
        (service) =>
          // Traefik's cookie affinity, as k8s/base/cart-legacy/service.yaml asks for it.
          (service.metadata.annotations ?? {})[
            'traefik.ingress.kubernetes.io/service.sticky.cookie'
          ] === 'true',
      )
      .map((service) => service.metadata.name),
  );
  for (const deployment of DEPLOYMENTS)
    if (sticky.has(deployment.name) !== deployment.sticky)
      problems.push(
        `${deployment.name}: sticky ${sticky.has(deployment.name)} in the Service, ${deployment.sticky} in tools/deployments.ts`,
      );
  return problems;
}

/**
 * Shutdown and spread: the grace period covers the app's drain, replicas spread over nodes.
 */
import { appContainersOf, selects } from './objects';
import { parsedEnvironment } from './environment';
import { type KubernetesObject, nameOf } from './rendering';
import type { CodeFacts } from './code-facts';

/**
 * Graceful shutdown fits the grace period: terminationGracePeriodSeconds exceeds the preStop
 * sleep + the app's drain (SHUTDOWN_DRAIN_MS as the app parses it, default included) + the
 * in-flight budget of libs/platform's shutdown. Otherwise the kubelet's SIGKILL cuts requests.
 * Also: replicas spread across nodes (a node loss must not take every replica).
 */
export function checkShutdownAndSpread(
  objects: KubernetesObject[],
  facts: CodeFacts,
): string[] {
  const problems: string[] = [];
  for (const { container, workload, where, app } of appContainersOf(
    objects,
    facts,
  )) {
    const preStop = container.lifecycle?.preStop;
    const preStopSeconds =
      preStop?.sleep?.seconds ??
      Number(
        /^sleep (\d+)$/.exec((preStop?.exec?.command ?? []).join(' '))?.[1] ??
          Number.NaN,
      );
    if (!preStop || Number.isNaN(preStopSeconds))
      problems.push(
        `${where}: no preStop sleep (endpoint removal needs time to reach the entry point)`,
      );
    const environment = parsedEnvironment(container, app, objects);
    if (!environment)
      problems.push(
        `${where}: the environment does not parse, so the drain time is unknown`,
      );
    const drainMs = environment?.SHUTDOWN_DRAIN_MS as number | undefined;
    const grace = workload.pod.terminationGracePeriodSeconds ?? 30;
    const needed =
      (Number.isNaN(preStopSeconds) ? 0 : preStopSeconds) +
      (drainMs ?? 0) / 1000 +
      facts.inFlightBudgetSeconds;
    if (grace <= needed)
      problems.push(
        `${where}: terminationGracePeriodSeconds ${grace} ≤ preStop ${preStopSeconds} s + drain ${(drainMs ?? 0) / 1000} s + in-flight ${facts.inFlightBudgetSeconds} s`,
      );
    const spread = workload.pod.topologySpreadConstraints ?? [];
    if (
      !spread.some(
        (constraint) =>
          constraint.topologyKey === 'kubernetes.io/hostname' &&
          selects(constraint.labelSelector, workload.template.metadata?.labels),
      )
    )
      problems.push(
        `${nameOf(workload.object)}: no topology spread over kubernetes.io/hostname selecting its own pods`,
      );
  }
  return problems;
}

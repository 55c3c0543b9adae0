/**
 * Disruption budgets and autoscaling: drains and scaling never cost availability or sessions.
 */
import { ofKind, workloadsOf, selects } from './objects';
import { parsedEnvironment } from './environment';
import { type KubernetesObject, nameOf } from './rendering';
import { appOfImage, type CodeFacts } from './code-facts';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';

/**
 * Every Deployment, and every StatefulSet of more than one replica, has exactly one
 * PodDisruptionBudget, and that budget still lets a drain evict one pod at the declared replica
 * count (a budget that allows nothing blocks node maintenance). A one-replica StatefulSet (the
 * base's Redis) has none to have: any budget would block every drain or protect nothing.
 */
export function checkDisruptionBudgets(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  const budgets = ofKind<PodDisruptionBudget>(objects, 'PodDisruptionBudget');
  for (const workload of workloadsOf(objects)) {
    if (workload.object.kind !== 'Deployment' && workload.replicas <= 1)
      continue;
    const where = nameOf(workload.object);
    const matching = budgets.filter((budget) =>
      selects(budget.spec?.selector, workload.template.metadata?.labels),
    );
    if (matching.length !== 1) {
      problems.push(
        `${where}: ${matching.length} PodDisruptionBudgets select its pods (expected 1)`,
      );
      continue;
    }
    const { minAvailable, maxUnavailable } = matching[0].spec ?? {};
    const absolute = (value: number | string | undefined) =>
      typeof value === 'string' && value.endsWith('%')
        ? Math.ceil((workload.replicas * Number(value.slice(0, -1))) / 100)
        : Number(value);
    const evictable =
      maxUnavailable !== undefined
        ? absolute(maxUnavailable)
        : workload.replicas - absolute(minAvailable);
    if (!(evictable >= 1))
      problems.push(
        `${where}: PodDisruptionBudget ${matching[0].metadata?.name} allows no eviction at ${workload.replicas} replicas`,
      );
  }
  for (const budget of budgets)
    if (
      !workloadsOf(objects).some((workload) =>
        selects(budget.spec?.selector, workload.template.metadata?.labels),
      )
    )
      problems.push(`${nameOf(budget)}: selects no pods`);
  return problems;
}

/**
 * Autoscalers target a rendered workload whose containers request CPU (utilisation is measured
 * against the request), never scale below the workload's replicas, and never scale a workload
 * whose sessions live in process memory (scale-in would destroy the sessions on removed pods).
 */
export function checkAutoscalers(
  objects: KubernetesObject[],
  facts: CodeFacts,
): string[] {
  const problems: string[] = [];
  for (const autoscaler of ofKind<HorizontalPodAutoscaler>(
    objects,
    'HorizontalPodAutoscaler',
  )) {
    const where = nameOf(autoscaler);
    const target = autoscaler.spec?.scaleTargetRef;
    const workload = workloadsOf(objects).find(
      (candidate) =>
        candidate.object.kind === target?.kind &&
        candidate.name === target?.name,
    );
    if (!workload) {
      problems.push(
        `${where}: scale target ${target?.kind}/${target?.name} is not rendered`,
      );
      continue;
    }
    if ((autoscaler.spec?.minReplicas ?? 1) < workload.replicas)
      problems.push(
        `${where}: minReplicas ${autoscaler.spec?.minReplicas} below the Deployment's ${workload.replicas}`,
      );
    for (const container of workload.pod.containers) {
      if (container.resources?.requests?.cpu === undefined)
        problems.push(
          `${where}: ${container.name} requests no CPU, so utilisation is undefined`,
        );
      const app = appOfImage(facts, container.image);
      if (
        app &&
        parsedEnvironment(container, app, objects)?.SESSION_STORE === 'memory'
      )
        problems.push(
          `${where}: scales ${workload.name}, whose sessions live in process memory`,
        );
    }
  }
  return problems;
}

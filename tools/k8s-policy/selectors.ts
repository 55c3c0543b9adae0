/**
 * Selectors and labels: every workload selects its own pods, by the labels the docs rely on.
 */
import { workloadsOf, selects, isEmptySelector } from './objects';
import { type KubernetesObject, nameOf } from './rendering';

/**
 * Every workload selects its own pod template (the API server refuses one that does not), and
 * every pod carries `app` and `app.kubernetes.io/name` equal to the workload's name, which is
 * what `kubectl delete pod -l app=<name>` in the docs relies on.
 */
export function checkSelectorsAndLabels(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const workload of workloadsOf(objects)) {
    const where = nameOf(workload.object);
    const labels = workload.template.metadata?.labels ?? {};
    if (isEmptySelector(workload.selector))
      problems.push(`${where}: empty selector`);
    else if (!selects(workload.selector, labels))
      problems.push(
        `${where}: selector ${JSON.stringify(workload.selector)} does not select its own pod template labels ${JSON.stringify(labels)}`,
      );
    for (const key of ['app', 'app.kubernetes.io/name'])
      if (labels[key] !== workload.name)
        problems.push(
          `${where}: pod label ${key}=${labels[key]} (expected ${workload.name})`,
        );
  }
  return problems;
}

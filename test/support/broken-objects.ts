import {
  copyOf,
  type KubernetesObject,
} from '../../tools/k8s-policy/rendering';

/** An edit that breaks rendered manifests on purpose. */
export type Mutation = (objects: KubernetesObject[]) => void;

/** The rendered objects, copied and then broken by `mutate`; the original stays intact. */
export function brokenCopy(
  objects: readonly KubernetesObject[],
  mutate: Mutation,
): KubernetesObject[] {
  const copy = copyOf([...objects]);
  mutate(copy);
  return copy;
}

/** A check's findings include one that matches `pattern` (others may come with it). */
export const oneFinding = (pattern: RegExp) =>
  expect.arrayContaining([expect.stringMatching(pattern)]);

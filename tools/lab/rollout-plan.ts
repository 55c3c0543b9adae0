import type { RollingUpdateStrategy } from './deployment-manifest';

/**
 * A percentage or count of `replicas`, as the Deployment controller resolves it: maxSurge
 * rounds up, maxUnavailable rounds down (and both 0 would never progress: surge becomes 1).
 */
export function resolveStrategy(
  strategy: RollingUpdateStrategy,
  replicas: number,
): { maxSurge: number; maxUnavailable: number } {
  const resolve = (value: number | string, round: (n: number) => number) => {
    if (typeof value === 'number') return value;
    const percent = /^(\d+)%$/.exec(value);
    if (!percent) throw new Error(`unsupported rollout value "${value}"`);
    return round((Number(percent[1]) * replicas) / 100);
  };
  const maxSurge = resolve(strategy.maxSurge, Math.ceil);
  const maxUnavailable = resolve(strategy.maxUnavailable, Math.floor);
  return {
    maxSurge: maxSurge === 0 && maxUnavailable === 0 ? 1 : maxSurge,
    maxUnavailable,
  };
}

/** One ReplicaSet's pods as the controller counts them (terminating pods no longer count). */
export interface ReplicaSetCount {
  pods: number;
  ready: number;
}

/**
 * One step of a rolling update, the Deployment controller's arithmetic: start new pods while
 * the total stays within replicas + maxSurge; stop old pods that are not ready, and ready old
 * ones only while the ready pods stay at least replicas - maxUnavailable.
 */
export function rolloutStep(
  replicas: number,
  { maxSurge, maxUnavailable }: { maxSurge: number; maxUnavailable: number },
  current: ReplicaSetCount,
  old: ReplicaSetCount,
): { start: number; stop: number } {
  const start = Math.max(
    0,
    Math.min(
      replicas + maxSurge - current.pods - old.pods,
      replicas - current.pods,
    ),
  );
  const available = current.ready + old.ready;
  const spare = Math.max(0, available - (replicas - maxUnavailable));
  const stop = Math.min(old.pods, old.pods - old.ready + spare);
  return { start, stop };
}

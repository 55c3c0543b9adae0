import type { ClusterDriver, PodSummary } from '../drivers/cluster-driver';

/** The counters that tell this project's story, summed per app over its pods. */
export const STORY_COUNTERS = [
  'sessions_missing_total',
  'sessions_created_total',
  'jwt_verification_failures_total',
  'redis_errors_total',
  'orders_created_total',
  'idempotent_replays_total',
  'shutdown_drains_total',
] as const;

type Snapshot = Map<
  string,
  { pod: PodSummary; values: Record<string, number> }
>;

/** Sums every series of each story counter in one pod's Prometheus text. */
export function sumCounters(text: string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const name = STORY_COUNTERS.find(
      (counter) =>
        line.startsWith(`${counter}{`) || line.startsWith(`${counter} `),
    );
    if (name) sums[name] = (sums[name] ?? 0) + Number(line.split(' ').pop());
  }
  return sums;
}

export async function snapshot(
  driver: ClusterDriver,
): Promise<Snapshot | undefined> {
  if (!driver.scrapeMetrics) return undefined;
  const scraped = await driver.scrapeMetrics();
  return new Map(
    scraped.map(({ pod, text }) => [
      pod.name,
      { pod, values: sumCounters(text) },
    ]),
  );
}

/**
 * Increase of each counter per app over a window. A process that died took its counters with
 * it and its successor starts from zero (as Prometheus' rate() treats a reset), so a pod counts
 * from its own earlier value only when it is still the same process.
 */
export function deltas(
  before: Snapshot,
  after: Snapshot,
): Record<string, Record<string, number>> {
  const perApp: Record<string, Record<string, number>> = {};
  for (const [name, { pod, values }] of after) {
    const earlier = before.get(name);
    const sameProcess =
      earlier &&
      earlier.pod.pid === pod.pid &&
      earlier.pod.restarts === pod.restarts;
    const app = (perApp[pod.app] ??= {});
    for (const counter of STORY_COUNTERS) {
      const increase =
        (values[counter] ?? 0) -
        (sameProcess ? (earlier.values[counter] ?? 0) : 0);
      app[counter] = (app[counter] ?? 0) + Math.max(0, increase);
    }
  }
  return perApp;
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterDriver, PodSummary } from '../drivers/cluster-driver';
import type { LocalDriver } from '../drivers/local-driver';
import type { RedisSentinelStack } from '../lab/redis-sentinel-stack';
import type { DisruptionScenario, Observation, RedisKill } from './scenarios';

/** Sentinel judges a node down after 1 s, then votes and promotes: this is generous. */
const PROMOTION_TIMEOUT_MS = 30_000;
/** A node held down, restarted, resynchronised (a full sync of a small data set). */
const HEALTHY_TIMEOUT_MS = 60_000;

function sentinelOf(driver: ClusterDriver): RedisSentinelStack {
  const stack = (driver as LocalDriver).ownedStack?.redisSentinel;
  if (!stack)
    throw new Error(
      'this scenario needs the redis-sentinel stack (a local stack of its own)',
    );
  return stack;
}

async function until(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await condition().catch(() => false))
      return Math.round(performance.now() - started);
    await sleep(50);
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms`);
}

async function redisPod(
  driver: ClusterDriver,
  name: string,
): Promise<PodSummary> {
  const pod = (await driver.listPods('redis')).find(
    (candidate) => candidate.name === name,
  );
  if (!pod) throw new Error(`no Redis pod ${name}`);
  return pod;
}

/**
 * SIGKILLs the primary `context.kills` times, each once the group is whole again (every replica
 * online, every Sentinel naming the same primary), and times each promotion.
 */
const killPrimary: DisruptionScenario['disrupt'] = async (
  driver,
  _pick,
  context,
) => {
  const sentinel = sentinelOf(driver);
  const kills: RedisKill[] = [];
  const firstSeen = new Map<string, PodSummary>();
  for (let kill = 0; kill < context.kills; kill++) {
    await until(() => sentinel.healthy(), HEALTHY_TIMEOUT_MS, 'a whole group');
    const oldPort = sentinel.primaryPort;
    const pod = await redisPod(driver, sentinel.primaryPod);
    if (!firstSeen.has(pod.name)) firstSeen.set(pod.name, pod);
    // After the signal: killProcess looks the pid up first, and a request sent in between
    // may still have been answered by this primary.
    await driver.killProcess(pod.name);
    const at = Date.now();
    const promotedMs = await until(
      async () => (await sentinel.poll()) !== oldPort,
      PROMOTION_TIMEOUT_MS,
      `a promotion after killing ${pod.name}`,
    );
    kills.push({ pod: pod.name, at, promotedMs });
  }
  // The last one rejoins too before the window's checks (the runner waits for its new process).
  return [{ app: 'redis', pods: [...firstSeen.values()], kills }];
};

/** SIGKILLs one replica: restarted in place at once, it resynchronises from the primary. */
const killReplica: DisruptionScenario['disrupt'] = async (driver) => {
  const sentinel = sentinelOf(driver);
  await until(() => sentinel.healthy(), HEALTHY_TIMEOUT_MS, 'a whole group');
  const replica = (await driver.listPods('redis')).find(
    (pod) => pod.name !== sentinel.primaryPod && pod.status === 'Running',
  );
  if (!replica) throw new Error('no Redis replica to kill');
  await driver.killProcess(replica.name);
  const at = Date.now();
  return [
    {
      app: 'redis',
      pods: [replica],
      kills: [{ pod: replica.name, at, promotedMs: null }],
    },
  ];
};

const cartsAndTokensKept = (o: Observation) =>
  !!o.sessions && o.sessions.lost === 0 && o.tokens.valid === o.tokens.total;
const noDuplicates = (o: Observation) =>
  !!o.orders && o.orders.duplicates === 0;
const everyFailoverDone = (o: Observation) =>
  !!o.failovers &&
  o.failovers.length > 0 &&
  o.failovers.every((failover) => failover.promotedMs !== null);
const noAcknowledgedOrderLost = (o: Observation) =>
  !!o.acknowledgedOrders && o.acknowledgedOrders.lost === 0;

export const REDIS_SENTINEL_SCENARIOS: DisruptionScenario[] = [
  {
    name: 'redis-replica-kill',
    title: 'SIGKILL a Redis replica (primary + 2 replicas + 3 Sentinels)',
    kind: 'disruption',
    variant: 'redis-sentinel',
    buildsCarts: true,
    checksEveryAcknowledgedOrder: true,
    disrupt: killReplica,
    rows: [
      {
        app: 'redis',
        expected:
          '0 failed requests; every acknowledged order readable; every cart and token kept',
        why: 'every read and write goes to the primary; the other replica keeps min-replicas-to-write met',
        holds: (o) =>
          o.requests.failed === 0 &&
          noAcknowledgedOrderLost(o) &&
          cartsAndTokensKept(o) &&
          noDuplicates(o),
      },
    ],
  },
  {
    name: 'redis-primary-kill',
    title:
      'SIGKILL the Redis primary under load (Sentinel promotes a replica; --kills N times)',
    kind: 'disruption',
    variant: 'redis-sentinel',
    buildsCarts: true,
    checksEveryAcknowledgedOrder: true,
    disrupt: killPrimary,
    rows: [
      {
        app: 'redis',
        expected:
          'every kill failed over; 503s until then (counted); carts, tokens kept; 0 duplicates; acknowledged orders lost: counted with WAIT off, 0 with ORDER_WAIT_REPLICAS ≥ 1',
        why: 'replication is asynchronous: a 201 the primary gave before its replica had the write dies with it, unless the order service WAITed for a replica',
        holds: (o) =>
          everyFailoverDone(o) &&
          cartsAndTokensKept(o) &&
          noDuplicates(o) &&
          (!o.acknowledgedOrders ||
            o.acknowledgedOrders.waitReplicas < 1 ||
            o.acknowledgedOrders.lost === 0),
      },
    ],
  },
];

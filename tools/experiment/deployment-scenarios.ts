import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterDriver, PodSummary } from '../drivers/cluster-driver';
import { DEPLOYMENT_NAMES } from '../deployments';
import { memoryLimitBytesOf } from '../lab/deployment-manifest';
import { startSessionFlood } from './session-flood';
import type {
  DisruptionContext,
  Observation,
  RowExpectation,
  DisruptionScenario,
} from './scenarios';

/**
 * The disruptions teams meet every day without deleting a pod by hand: their own deploy and
 * the autoscaler scaling in. Each is a pod kill in disguise, with the same lesson.
 */

/** A deploy rolls out every app. */
const ROLLED_OUT = DEPLOYMENT_NAMES;
const SCALED_IN = ['order', 'cart-legacy'] as const;
const STEP_POLL_MS = 100;

function needs<K extends 'rolloutRestart' | 'rollingOut' | 'scale'>(
  driver: ClusterDriver,
  method: K,
): NonNullable<ClusterDriver[K]> {
  const implemented = driver[method];
  if (!implemented)
    throw new Error(`the ${driver.target} driver cannot ${method}`);
  return implemented.bind(driver) as NonNullable<ClusterDriver[K]>;
}

/**
 * Polls the pods of `apps` until `done()` and puts each change on the timeline as a step:
 * a pod created, ready, terminating, gone. What a rollout or a scale does, seen from outside,
 * on either driver.
 */
async function watchSteps(
  driver: ClusterDriver,
  apps: readonly string[],
  context: DisruptionContext,
  {
    before,
    done,
    timeoutMs,
  }: {
    /** The pods before the action started: what is new is a step. */
    before: PodSummary[];
    done: () => Promise<boolean>;
    timeoutMs: number;
  },
): Promise<void> {
  const seen = new Map(before.map((pod) => [pod.name, pod]));
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const pods = (await driver.listPods()).filter((pod) =>
      apps.includes(pod.app),
    );
    for (const pod of pods) {
      const before = seen.get(pod.name);
      if (!before) context.mark(pod.app, `${pod.name} created`);
      if (pod.ready && !before?.ready)
        context.mark(pod.app, `${pod.name} ready`);
      if (pod.status === 'Terminating' && before?.status !== 'Terminating')
        context.mark(pod.app, `${pod.name} terminating (graceful)`);
      seen.set(pod.name, pod);
    }
    for (const [name, pod] of seen)
      if (
        apps.includes(pod.app) &&
        !pods.some((candidate) => candidate.name === name)
      ) {
        context.mark(pod.app, `${name} gone`);
        seen.delete(name);
      }
    if (await done()) return;
    if (performance.now() > deadline)
      throw new Error(`${apps.join(', ')}: not done after ${timeoutMs} ms`);
    await sleep(STEP_POLL_MS);
  }
}

const noFailures = (o: Observation) => o.requests.failed === 0;
const allTokens = (o: Observation) => o.tokens.valid === o.tokens.total;
const allOrders = (o: Observation) =>
  !!o.orders && o.orders.kept === o.orders.total && o.orders.duplicates === 0;
const allSessions = (o: Observation) => !!o.sessions && o.sessions.lost === 0;
const everyOldPodGone = (o: Observation) => o.replacedUnderNewName === true;

const rolloutRows: RowExpectation[] = [
  {
    app: 'auth',
    expected:
      '0 failed requests; every token still valid; every pod replaced by a new version',
    why: 'tokens are verified with the shared JWKS; refresh tokens live in Redis',
    holds: (o) => noFailures(o) && allTokens(o) && everyOldPodGone(o),
  },
  {
    app: 'order',
    expected:
      '0 failed requests (maxUnavailable 0: a new pod is ready before an old one goes); every order kept; 0 duplicates',
    why: 'nothing lived in the process: orders and idempotency keys live in Redis',
    holds: (o) => noFailures(o) && allOrders(o) && everyOldPodGone(o),
  },
  {
    app: 'cart',
    expected: '0 failed requests; every cart kept',
    why: 'state lived in Redis: the new version reads it as the old one wrote it',
    holds: (o) => noFailures(o) && allSessions(o) && everyOldPodGone(o),
  },
  {
    app: 'cart-legacy',
    expected:
      'every cart lost, although 0 requests failed and every pod shut down gracefully',
    why: 'state lived in the process: a graceful shutdown drains requests, not memory; every old pod took its sessions along',
    holds: (o) =>
      noFailures(o) &&
      !!o.sessions &&
      o.sessions.total > 0 &&
      o.sessions.kept === 0 &&
      everyOldPodGone(o),
  },
];

/**
 * The added pods of a scale-out: order's are fresh round-robin targets, cart-legacy's see only
 * users without a pinned pod. Reached at 80 % of the fair share within the window, or not.
 */
const rebalanced = (o: Observation) =>
  !!o.rebalance && o.rebalance.fairShareAfterMs !== null;

const scaleInRows: RowExpectation[] = [
  {
    app: 'order',
    expected:
      '3 → 1: 0 failed requests, every order kept, 0 duplicates; 1 → 3: the new pods take their share of the traffic at once',
    why: 'nothing lived in the process; round robin sends the next request anywhere',
    holds: (o) => noFailures(o) && allOrders(o) && rebalanced(o),
  },
  {
    app: 'cart-legacy',
    expected:
      '3 → 1: carts lost = exactly the sessions of the two removed pods; 1 → 3: affinity keeps every user on the pod they are pinned to, the new pods stay below their share within the window',
    why: 'state lived in the removed processes; the affinity cookie pins users to the survivor',
    holds: (o) =>
      !!o.sessions &&
      o.sessions.expectedLost > 0 &&
      o.sessions.lost === o.sessions.expectedLost &&
      !rebalanced(o),
  },
];

export interface ScaleInTiming {
  /** How long the traffic runs on the scaled-out app before the window ends, ms. */
  observeMs: number;
}

function scaleIn({ observeMs }: ScaleInTiming): DisruptionScenario['disrupt'] {
  return async (driver, pick, context) => {
    const scale = needs(driver, 'scale');
    const before = await Promise.all(
      SCALED_IN.map(async (app) => ({ app, pods: await pick(app) })),
    );
    const alone = async () =>
      (
        await Promise.all(
          SCALED_IN.map(async (app) => (await driver.listPods(app)).length),
        )
      ).every((count) => count === 1);
    let snapshot = await driver.listPods();
    await Promise.all(SCALED_IN.map((app) => scale(app, 1)));
    // Whatever goes wrong from here, the apps get their replicas back: the next scenario (and a
    // cluster's next stage) must not start on a scaled-in stack.
    try {
      return await scaleInAndOut();
    } catch (error) {
      await Promise.all(before.map(({ app, pods }) => scale(app, pods.length)));
      throw error;
    }
    async function scaleInAndOut() {
      SCALED_IN.forEach((app) => context.mark(app, 'scaled in to 1'));
      await watchSteps(driver, SCALED_IN, context, {
        before: snapshot,
        done: alone,
        timeoutMs: 60_000,
      });
      const survivors = new Set(
        (await driver.listPods()).map((pod) => pod.name),
      );
      const removed = before.map(({ app, pods }) => ({
        app,
        pods: pods.filter((pod) => !survivors.has(pod.name)),
      }));

      snapshot = await driver.listPods();
      await Promise.all(before.map(({ app, pods }) => scale(app, pods.length)));
      before.forEach(({ app, pods }) =>
        context.mark(app, `scaled out to ${pods.length}`),
      );
      const allReady = async () =>
        (
          await Promise.all(
            before.map(
              async ({ app, pods }) =>
                (await driver.listPods(app)).filter((pod) => pod.ready)
                  .length >= pods.length,
            ),
          )
        ).every(Boolean);
      await watchSteps(driver, SCALED_IN, context, {
        before: snapshot,
        done: allReady,
        timeoutMs: 60_000,
      });
      const readyAt = context.now();
      const added = await Promise.all(
        before.map(async ({ app, pods }) => ({
          app,
          added: (await driver.listPods(app))
            .filter((pod) => !survivors.has(pod.name))
            .map((pod) => pod.name),
          replicas: pods.length,
        })),
      );
      // The traffic meets the added pods for a while: that is what the rows measure.
      await sleep(observeMs);
      return removed.map(({ app, pods }) => {
        const scaled = added.find((entry) => entry.app === app);
        return {
          app,
          pods,
          added: {
            pods: scaled?.added ?? [],
            readyAt,
            replicas: scaled?.replicas ?? pods.length,
          },
        };
      });
    }
  };
}

const rollout: DisruptionScenario['disrupt'] = async (
  driver,
  pick,
  context,
) => {
  const rolloutRestart = needs(driver, 'rolloutRestart');
  const rollingOut = needs(driver, 'rollingOut');
  const old = await Promise.all(
    ROLLED_OUT.map(async (app) => ({ app, pods: await pick(app) })),
  );
  const before = await driver.listPods();
  await Promise.all(ROLLED_OUT.map((app) => rolloutRestart(app)));
  ROLLED_OUT.forEach((app) => context.mark(app, 'rollout restart'));
  const oldNames = new Set(old.flatMap(({ pods }) => pods.map((p) => p.name)));
  const finished = async () =>
    !(await Promise.all(ROLLED_OUT.map((app) => rollingOut(app)))).some(
      Boolean,
    ) && !(await driver.listPods()).some((pod) => oldNames.has(pod.name));
  await watchSteps(driver, ROLLED_OUT, context, {
    before,
    done: finished,
    timeoutMs: 120_000,
  });
  return old;
};

/** The lowered limit is reached in seconds; the manifest's 256Mi is not reached at all (main.ts). */
const OOM_TIMEOUT_MS = 90_000;
const MiB = 2 ** 20;

/** The `sessions_in_memory` gauge of one pod's /metrics, where the driver can scrape pods. */
async function sessionsHeld(
  driver: ClusterDriver,
  pod: string,
): Promise<number | undefined> {
  const scraped = await driver.scrapeMetrics?.().catch(() => []);
  const text = scraped?.find((entry) => entry.pod.name === pod)?.text ?? '';
  const match = /^\w*sessions_in_memory(?:\{[^}]*\})? (\d+(?:\.\d+)?)$/m.exec(
    text,
  );
  return match ? Number(match[1]) : undefined;
}

/**
 * A session flood against one cart-legacy pod until its memory limit kills it (or the time is
 * up): its RSS and the sessions it held are sampled all along, for the report.
 */
const oom: DisruptionScenario['disrupt'] = async (driver, pick, context) => {
  const [victim] = [...(await pick('cart-legacy'))].sort(
    (a, b) => a.restarts - b.restarts,
  );
  const flood = await startSessionFlood(driver.baseUrl, victim.name);
  context.mark('cart-legacy', `session flood against ${victim.name}`);
  const deadline = performance.now() + OOM_TIMEOUT_MS;
  let sessionsAtDeath: number | null = null;
  let peakRssBytes = 0;
  let limitBytes =
    victim.memoryLimitBytes ?? memoryLimitBytesOf('cart-legacy') ?? 0;
  let killed = false;
  let lastScrape = 0;
  // The pods not flooded share the limit and carry the users' load: their peak says how much
  // room the limit leaves them (one of them restarting fails the row: the runner checks that).
  const others = new Set(
    (await driver.listPods('cart-legacy'))
      .filter((pod) => pod.name !== victim.name)
      .map((pod) => pod.name),
  );
  let othersPeakRssBytes = 0;
  try {
    while (performance.now() < deadline) {
      const pods = await driver.listPods('cart-legacy');
      for (const other of pods) {
        if (!others.has(other.name)) continue;
        othersPeakRssBytes = Math.max(
          othersPeakRssBytes,
          other.memoryBytes ?? 0,
        );
      }
      const pod = pods.find((candidate) => candidate.name === victim.name);
      if (!pod) break;
      if (pod.restarts > victim.restarts) {
        killed = pod.lastTermination === 'OOMKilled';
        context.mark(
          'cart-legacy',
          `${victim.name} ${pod.lastTermination ?? 'restarted'} holding ${sessionsAtDeath ?? '?'} sessions (${flood.created()} flood sessions created)`,
        );
        break;
      }
      limitBytes = pod.memoryLimitBytes ?? limitBytes;
      if (pod.memoryBytes !== undefined) {
        peakRssBytes = Math.max(peakRssBytes, pod.memoryBytes);
        context.sample(
          `${victim.name} RSS (limit ${Math.round(limitBytes / MiB)} MiB)`,
          'MiB',
          Math.round(pod.memoryBytes / MiB),
        );
      }
      if (performance.now() - lastScrape > 250) {
        lastScrape = performance.now();
        const held = await sessionsHeld(driver, victim.name);
        if (held !== undefined) {
          sessionsAtDeath = held;
          context.sample(`${victim.name} sessions held`, 'sessions', held);
        }
      }
      await sleep(100);
    }
  } finally {
    await flood.stop();
  }
  return [
    {
      app: 'cart-legacy',
      pods: [victim],
      oom: {
        killed,
        sessionsAtDeath,
        peakRssBytes,
        limitBytes,
        manifestLimitBytes: memoryLimitBytesOf('cart-legacy') ?? 0,
        othersPeakRssBytes,
      },
    },
  ];
};

const oomRows: RowExpectation[] = [
  {
    app: 'cart-legacy',
    expected:
      'the flooded pod is OOMKilled and restarted in place; carts lost = exactly the sessions it held; the other pods keep theirs',
    why: 'the memory store grows with its sessions until the limit: the kernel kills the process, and its memory with it',
    holds: (o) =>
      !!o.oom?.killed &&
      o.restartedInPlace === true &&
      !!o.sessions &&
      o.sessions.expectedLost > 0 &&
      o.sessions.lost === o.sessions.expectedLost,
  },
  {
    app: 'cart',
    expected: '0 failed requests; every cart kept',
    why: 'the Redis cart keeps its sessions in Redis, not in the process: no flood of one pod grows it',
    holds: (o) => noFailures(o) && allSessions(o),
  },
];

export function deploymentScenarios(
  timing: ScaleInTiming,
): DisruptionScenario[] {
  return [
    {
      name: 'rollout',
      title:
        'kubectl rollout restart of every Deployment (maxSurge 1, maxUnavailable 0, graceful)',
      kind: 'disruption',
      variant: 'base',
      buildsCarts: true,
      disrupt: rollout,
      rows: rolloutRows,
    },
    {
      name: 'scale-in',
      title:
        'order and cart-legacy scaled in to 1 (an HPA at night), then out again',
      kind: 'disruption',
      variant: 'base',
      buildsCarts: true,
      disrupt: scaleIn(timing),
      rows: scaleInRows,
    },
    {
      name: 'oom',
      title:
        'a session flood against one cart-legacy pod, up to its memory limit (OOMKilled)',
      kind: 'disruption',
      variant: 'oom',
      buildsCarts: true,
      disrupt: oom,
      rows: oomRows,
    },
  ];
}

export const DEPLOYMENT_SCENARIOS = deploymentScenarios({ observeMs: 3000 });

import { setTimeout as sleep } from 'node:timers/promises';
import {
  onceAnswered,
  StoryUser,
  type StoryResponse,
} from '../client/story-client';
import {
  CARTS,
  cartPrefixOf,
  DEPLOYMENT_NAMES,
  isCartApp,
  perCart,
  type DeploymentName,
} from '../deployments';
import type { ClusterDriver } from '../drivers/cluster-driver';
import { LocalDriver } from '../drivers/local-driver';
import type {
  Disrupted,
  DisruptionScenario,
  Observation,
  RowExpectation,
} from './scenarios';
import { deltas, snapshot } from './metric-deltas';
import type { VirtualUser } from './virtual-users';

export interface Sample {
  at: number;
  app: string;
  status: number;
  /** The virtual user's index: who saw it. */
  user: number;
  /** The pod that answered (x-pod-name), if one did. */
  pod?: string;
}

export interface Timeline {
  scenario: string;
  /** Increase of the story's counters per app over the window (local stack: pods scraped). */
  metricDeltas: Record<string, Record<string, number>> | null;
  bucketMs: number;
  apps: DeploymentName[];
  buckets: Array<Record<string, { ok: number; failed: number }>>;
  /** `step`: one step of a disruption that takes several (a rollout's pod started, ready, ...). */
  markers: Array<{
    at: number;
    kind: 'disrupted' | 'ready' | 'step';
    app: string;
    label?: string;
  }>;
  /** Values sampled over the window (an OOM victim's RSS), ms since the window started. */
  series?: Array<{
    name: string;
    unit: string;
    points: Array<[number, number]>;
  }>;
}

export interface Row extends Observation {
  scenario: string;
  title: string;
  expected: string;
  observed: string;
  why: string;
  pass: boolean;
}

export interface WindowOptions {
  /** Load before the disruption, ms. */
  leadMs: number;
  /** Load after every disrupted app is ready again, ms. */
  settleMs: number;
  /** Give up waiting for replacements after this long. */
  readyTimeoutMs: number;
  /** Repetitions of a repeated disruption (redis-primary-kill's `--kills`); 1 by default. */
  kills?: number;
  /** ORDER_WAIT_REPLICAS the order pods run with (0: no WAIT), for the failover rows. */
  waitReplicas?: number;
  /**
   * `--sabotage bystander-crash`: after the scenario's disruption, one pod of each disrupted app
   * that the scenario left alone dies too. Its row must fail (`othersRestarted`).
   */
  crashBystander?: boolean;
  progress: (line: string) => void;
}

const BUCKET_MS = 100;
const isFailure = (status: number) => status === 0 || status >= 500;

async function inBatches<T>(
  items: T[],
  size: number,
  work: (item: T) => Promise<void>,
) {
  for (let start = 0; start < items.length; start += size) {
    await Promise.all(items.slice(start, start + size).map(work));
  }
}

/**
 * One request of a virtual user's steady traffic, tagged with the app that serves it (also the
 * dashboard's live load).
 */
export function nextRequest(
  user: VirtualUser,
  iteration: number,
): { app: string; call: () => Promise<StoryResponse> } {
  const step = iteration % 8;
  if (step === 7) return { app: 'order', call: () => user.placeOrder() };
  const calls: Array<{ app: string; call: () => Promise<StoryResponse> }> = [
    { app: 'order', call: () => user.story.listOrders() },
    ...CARTS.map(({ app, prefix }) => ({
      app,
      call: () => user.story.cartShow(prefix),
    })),
    {
      app: 'auth',
      call: () => user.story.request('GET', '/auth/.well-known/jwks.json'),
    },
  ];
  return calls[step % calls.length];
}

function longestFailureRun(samples: Sample[]): number {
  let longest = 0;
  let runStart: number | undefined;
  for (const sample of samples) {
    if (isFailure(sample.status)) runStart ??= sample.at;
    else if (runStart !== undefined) {
      longest = Math.max(longest, sample.at - runStart);
      runStart = undefined;
    }
  }
  if (runStart !== undefined && samples.length)
    longest = Math.max(longest, samples[samples.length - 1].at - runStart);
  return Math.round(longest);
}

async function readyCount(driver: ClusterDriver, app: string): Promise<number> {
  return (await driver.listPods(app)).filter(
    (pod) => pod.ready && pod.status === 'Running',
  ).length;
}

/**
 * One disruption window: build every user's state, run steady traffic, disrupt, wait for the
 * replacements, keep the traffic going a little, then check what every user still has.
 */
export async function runWindow(
  scenario: DisruptionScenario,
  driver: ClusterDriver,
  users: VirtualUser[],
  options: WindowOptions,
): Promise<{ rows: Row[]; timeline: Timeline }> {
  options.progress(`${scenario.name}: preparing ${users.length} virtual users`);
  await inBatches(users, 8, async (user) => {
    if (scenario.buildsCarts) await user.prepare();
    else await user.loginOnly();
  });
  const replicas = new Map<string, number>();
  for (const app of [...DEPLOYMENT_NAMES, 'redis']) {
    replicas.set(app, await readyCount(driver, app));
  }
  const ordersBefore = new Map(
    users.map((user) => [user, new Set(user.orderIds)]),
  );
  const keysBefore = new Map(
    users.map((user) => [user, user.attemptedKeys.size]),
  );
  const listedBefore = await countOrdersByUsername(users);

  const metricsBefore = await snapshot(driver);
  // Every pod's restart count before the window: a pod no scenario disrupted must not restart.
  const podsBefore = await driver.listPods();
  const samples: Sample[] = [];
  const markers: Timeline['markers'] = [];
  const series: NonNullable<Timeline['series']> = [];
  const started = performance.now();
  const now = () => performance.now() - started;
  let running = true;
  const load = Promise.all(
    users.map(async (user) => {
      for (let iteration = user.index; running; iteration++) {
        const { app, call } = nextRequest(user, iteration);
        const sentAt = now();
        const response = await call();
        samples.push({
          at: sentAt,
          app,
          status: response.status,
          user: user.index,
          pod: response.pod,
        });
      }
    }),
  );

  await sleep(options.leadMs);
  options.progress(`${scenario.name}: ${scenario.title}`);
  const disruptedAt = now();
  const targets = await scenario.disrupt(
    driver,
    async (app) =>
      (await driver.listPods(app)).filter((pod) => pod.status === 'Running'),
    {
      tokenIssuers: users.flatMap((user) =>
        user.tokenIssuer ? [user.tokenIssuer] : [],
      ),
      freshUser: () =>
        new StoryUser(
          users[0].story.baseUrl,
          users[0].story.username,
          users[0].story.password,
        ),
      orderReplicas: replicas.get('order') ?? 1,
      mark: (app, label) =>
        markers.push({ at: now(), kind: 'step', app, label }),
      sample: (name, unit, value) => {
        let line = series.find((candidate) => candidate.name === name);
        if (!line) series.push((line = { name, unit, points: [] }));
        line.points.push([Math.round(now()), value]);
      },
      now,
      kills: options.kills ?? 1,
    },
  );
  if (options.crashBystander)
    for (const target of targets) {
      const spared = (await driver.listPods(target.app)).find(
        (pod) =>
          pod.status === 'Running' &&
          !target.pods.some((disruptedPod) => disruptedPod.name === pod.name),
      );
      if (spared) {
        await driver.killProcess(spared.name);
        markers.push({
          at: now(),
          kind: 'step',
          app: target.app,
          label: `sabotage: ${spared.name} killed too`,
        });
      }
    }
  const disrupted: Disrupted[] = targets.map((target) => ({
    ...target,
    at: disruptedAt,
  }));
  const addedPods = new Map(
    targets.flatMap((target) =>
      target.added ? [[target.app, target.added] as const] : [],
    ),
  );
  disrupted.forEach(({ app }) =>
    markers.push({ at: disruptedAt, kind: 'disrupted', app }),
  );

  const readyAfter = new Map<string, number | null>();
  await Promise.all(
    disrupted.map(async ({ app }) => {
      await sleep(50);
      const deadline = performance.now() + options.readyTimeoutMs;
      while (performance.now() < deadline) {
        if (
          (await readyCount(driver, app)) >= (replicas.get(app) ?? 1) &&
          (await replacementsReady(driver, app, disrupted))
        ) {
          readyAfter.set(app, Math.round(now() - disruptedAt));
          markers.push({ at: now(), kind: 'ready', app });
          return;
        }
        await sleep(50);
      }
      readyAfter.set(app, null);
    }),
  );
  options.progress(
    `${scenario.name}: ${[...readyAfter].map(([app, ms]) => `${app} ready after ${ms === null ? 'timeout' : `${ms} ms`}`).join(', ') || 'no pod disrupted'}`,
  );
  await sleep(disrupted.length ? options.settleMs : options.settleMs + 1000);
  running = false;
  await load;
  samples.sort((a, b) => a.at - b.at);

  // What every user still has.
  const tokens = { valid: 0, total: users.length };
  const sessions = perCart(() => ({ kept: 0, expectedLost: 0 }));
  const orders = { kept: 0, total: 0 };
  // Users whose session lived on a disrupted pod: only they may see that cart fail.
  const pinnedToDisrupted = perCart(() => new Set<number>());
  const disruptedPods = (app: string) =>
    new Set(
      disrupted
        .filter((d) => d.app === app)
        .flatMap((d) => d.pods.map((pod) => pod.name)),
    );
  await inBatches(users, 8, async (user) => {
    if (await user.tokenValid()) tokens.valid++;
    if (scenario.buildsCarts) {
      for (const { app, prefix } of CARTS) {
        if (await user.cartKept(prefix)) sessions[prefix].kept++;
        if (disruptedPods(app).has(user.sessionPods[prefix] ?? '')) {
          sessions[prefix].expectedLost++;
          pinnedToDisrupted[prefix].add(user.index);
        }
      }
    }
    for (const id of ordersBefore.get(user) ?? []) {
      orders.total++;
      if ((await onceAnswered(() => user.story.getOrder(id))).status === 200)
        orders.kept++;
    }
  });
  const acknowledged = scenario.checksEveryAcknowledgedOrder
    ? await readBackAcknowledged(users)
    : undefined;
  const listedAfter = await countOrdersByUsername(users);
  let duplicates = 0;
  for (const [username, after] of listedAfter) {
    const attempted = users
      .filter((user) => user.story.username === username)
      .reduce(
        (sum, user) =>
          sum + user.attemptedKeys.size - (keysBefore.get(user) ?? 0),
        0,
      );
    duplicates += Math.max(
      0,
      after - (listedBefore.get(username) ?? 0) - attempted,
    );
  }
  const podsAfter = await driver.listPods();

  const rows = scenario.rows.map((row): Row => {
    const expectation = expectationFor(row, driver.target);
    const app = expectation.app;
    const appSamples =
      app === 'redis'
        ? samples
        : samples.filter((sample) => sample.app === app);
    const byStatus: Record<string, number> = {};
    for (const sample of appSamples)
      byStatus[sample.status] = (byStatus[sample.status] ?? 0) + 1;
    const killed = disrupted
      .filter((d) => d.app === app)
      .flatMap((d) => d.pods);
    const killedNames = new Set(killed.map((pod) => pod.name));
    // A pod of this row's app that the scenario left alone but that restarted anyway (a limit
    // too tight, a probe that fails under the load): whatever the row expects, it did not hold.
    const othersRestarted = podsBefore
      .filter((pod) => pod.app === app && !killedNames.has(pod.name))
      .filter((pod) =>
        podsAfter.some(
          (after) => after.name === pod.name && after.restarts > pod.restarts,
        ),
      )
      .map((pod) => pod.name);
    const failuresByUser = new Map<number, number>();
    for (const sample of appSamples)
      if (isFailure(sample.status))
        failuresByUser.set(
          sample.user,
          (failuresByUser.get(sample.user) ?? 0) + 1,
        );
    // A redis row counts the carts whose sessions live in Redis.
    const prefix = cartPrefixOf(isCartApp(app) ? app : 'cart');
    const observation: Observation = {
      app,
      requests: {
        sent: appSamples.length,
        failed: appSamples.filter((sample) => isFailure(sample.status)).length,
        byStatus,
        longestFailureRunMs: longestFailureRun(appSamples),
        failedUsers: failuresByUser.size,
        maxFailuresPerUser: Math.max(0, ...failuresByUser.values()),
      },
      replacementReadyMs: readyAfter.get(app) ?? null,
      othersRestarted,
      tokens,
      ...(isCartApp(app) || app === 'redis'
        ? {
            sessions: {
              ...sessionCounts(
                sessions[prefix],
                scenario.buildsCarts ? users.length : 0,
              ),
              failedUsersHeldElsewhere: [...failuresByUser.keys()].filter(
                (index) => !pinnedToDisrupted[prefix].has(index),
              ).length,
            },
          }
        : {}),
      ...(app === 'order' || app === 'redis'
        ? { orders: { ...orders, duplicates } }
        : {}),
      ...(disrupted.find((d) => d.app === app && d.oom)
        ? { oom: disrupted.find((d) => d.app === app && d.oom)?.oom }
        : {}),
      ...(addedPods.has(app)
        ? {
            rebalance: rebalanceOf(
              appSamples,
              addedPods.get(app) as NonNullable<Disrupted['added']>,
            ),
          }
        : {}),
      ...(acknowledged && app === 'redis'
        ? failoverObservations(
            acknowledged,
            disrupted.flatMap((d) => d.kills ?? []),
            options.waitReplicas ?? 0,
          )
        : {}),
      ...(killed.length
        ? {
            restartedInPlace: killed.every((pod) =>
              podsAfter.some(
                (after) =>
                  after.name === pod.name &&
                  after.restarts > pod.restarts &&
                  after.ready,
              ),
            ),
            replacedUnderNewName: killed.every(
              (pod) => !podsAfter.some((after) => after.name === pod.name),
            ),
          }
        : {}),
    };
    return {
      ...observation,
      scenario: scenario.name,
      title: scenario.title,
      expected: expectation.expected,
      observed: describe(observation, users.length),
      why: expectation.why,
      pass: othersRestarted.length === 0 && expectation.holds(observation),
    };
  });
  const metricsAfter = await snapshot(driver);
  const metricDeltas =
    metricsBefore && metricsAfter ? deltas(metricsBefore, metricsAfter) : null;
  if (driver instanceof LocalDriver) await driver.setLegacyCartAffinity(true);
  return {
    rows,
    timeline: {
      ...buildTimeline(scenario.name, samples, markers),
      metricDeltas,
      ...(series.length ? { series } : {}),
    },
  };
}

/**
 * Deleted pods must be gone; a pod restarted in place keeps its name, so it must show a new
 * process (another pid, or one more restart) that is ready. Right after a SIGKILL the old
 * process may still look ready for a moment: that is not a replacement.
 */
async function replacementsReady(
  driver: ClusterDriver,
  app: string,
  disrupted: Disrupted[],
): Promise<boolean> {
  const killed = new Map(
    disrupted
      .filter((d) => d.app === app)
      .flatMap((d) => d.pods.map((pod) => [pod.name, pod])),
  );
  const pods = await driver.listPods(app);
  return pods.every((pod) => {
    const before = killed.get(pod.name);
    if (!before) return true;
    const newProcess =
      pod.restarts > before.restarts ||
      (pod.pid != null && pod.pid !== before.pid);
    return newProcess && pod.ready && pod.status === 'Running';
  });
}

const REBALANCE_BUCKET_MS = 500;

/**
 * After a scale-out: the share of an app's answers given by the added pods, per half second
 * from the moment they were ready, against their fair share (added / all pods). `fairShareAfterMs`
 * is when a half second first reached 80 % of the fair share; null if none did in the window.
 */
export function rebalanceOf(
  samples: Sample[],
  { pods, readyAt, replicas }: NonNullable<Disrupted['added']>,
): NonNullable<Observation['rebalance']> {
  const fairShare = pods.length / replicas;
  const added = new Set(pods);
  const after = samples.filter((sample) => sample.at >= readyAt && sample.pod);
  const onAdded = after.filter((sample) => added.has(sample.pod as string));
  let fairShareAfterMs: number | null = null;
  for (
    let start = readyAt;
    start <= (after.at(-1)?.at ?? 0);
    start += REBALANCE_BUCKET_MS
  ) {
    const bucket = after.filter(
      (sample) => sample.at >= start && sample.at < start + REBALANCE_BUCKET_MS,
    );
    const share =
      bucket.filter((sample) => added.has(sample.pod as string)).length /
      (bucket.length || 1);
    if (bucket.length && share >= 0.8 * fairShare) {
      fairShareAfterMs = Math.round(start - readyAt);
      break;
    }
  }
  return {
    addedPods: pods.length,
    fairShare,
    share: after.length ? onAdded.length / after.length : 0,
    windowMs: Math.round((after.at(-1)?.at ?? readyAt) - readyAt),
    fairShareAfterMs,
  };
}

interface Acknowledged {
  /** Per 201 received during the run: when its request was sent and when the 201 came (epoch ms). */
  orders: Array<{ sentAt: number; at: number; lost: boolean }>;
}

/** Reads back every order a user was answered 201 for: the client's record against the store. */
async function readBackAcknowledged(
  users: VirtualUser[],
): Promise<Acknowledged> {
  const result: Acknowledged = { orders: [] };
  await inBatches(users, 8, async (user) => {
    for (const [id, { sentAt, at }] of user.acknowledgedAt) {
      const read = await onceAnswered(() => user.story.getOrder(id));
      result.orders.push({ sentAt, at, lost: read.status === 404 });
    }
  });
  return result;
}

/**
 * Each kill owns the acknowledgements after the previous kill and before it: a lost one was
 * answered by the primary that kill took down, before its replicas had the write. Writes are
 * back at the first 201 for a request sent after the kill.
 */
function failoverObservations(
  acknowledged: Acknowledged,
  kills: Array<{ pod: string; at: number; promotedMs: number | null }>,
  waitReplicas: number,
): Pick<Observation, 'acknowledgedOrders' | 'failovers'> {
  const sorted = [...kills].sort((a, b) => a.at - b.at);
  const lost = acknowledged.orders.filter((order) => order.lost);
  return {
    acknowledgedOrders: {
      total: acknowledged.orders.length,
      lost: lost.length,
      waitReplicas,
    },
    failovers: sorted.map((kill, index) => {
      const sentAfter = acknowledged.orders.filter(
        (order) => order.sentAt > kill.at,
      );
      const previous = index ? sorted[index - 1].at : -Infinity;
      return {
        pod: kill.pod,
        promotedMs: kill.promotedMs,
        writesBackMs: sentAfter.length
          ? Math.min(...sentAfter.map((order) => order.at)) - kill.at
          : null,
        lost: lost.filter((order) => order.at > previous && order.at <= kill.at)
          .length,
      };
    }),
  };
}

/** A row's hypothesis where the run happens: a cluster's entry point is not the local gateway. */
export function expectationFor(
  row: RowExpectation,
  target: ClusterDriver['target'],
): RowExpectation {
  return target === 'k8s' && row.onCluster ? { ...row, ...row.onCluster } : row;
}

function sessionCounts(
  counts: { kept: number; expectedLost: number },
  total: number,
) {
  return {
    kept: counts.kept,
    lost: total - counts.kept,
    total,
    expectedLost: counts.expectedLost,
  };
}

async function countOrdersByUsername(
  users: VirtualUser[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const user of users) {
    if (counts.has(user.story.username)) continue;
    const listed = await onceAnswered(() => user.story.listOrders());
    counts.set(
      user.story.username,
      listed.status === 200 ? listed.body.length : 0,
    );
  }
  return counts;
}

/** `min–max` (or the one value) of a few durations. */
function range(values: number[]): string {
  if (!values.length) return '-';
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? String(low) : `${low}–${high}`;
}

function percent(part: number, whole: number): string {
  return whole ? `${Math.round((100 * part) / whole)}%` : '-';
}

function describe(o: Observation, userCount: number): string {
  const parts = [`${o.requests.sent} requests, ${o.requests.failed} failed`];
  if (o.requests.failed)
    parts.push(
      `by ${o.requests.failedUsers} users (at most ${o.requests.maxFailuresPerUser} each)`,
      `longest failure run ${o.requests.longestFailureRunMs} ms`,
    );
  if (o.replacementReadyMs !== null)
    parts.push(
      `ready again after ${(o.replacementReadyMs / 1000).toFixed(1)} s`,
    );
  parts.push(`tokens valid ${o.tokens.valid}/${o.tokens.total}`);
  if (o.sessions && o.sessions.total) {
    parts.push(
      `carts lost ${o.sessions.lost}/${o.sessions.total} (${percent(o.sessions.lost, o.sessions.total)}; held by disrupted pods: ${o.sessions.expectedLost} = ${percent(o.sessions.expectedLost, userCount)})`,
    );
  }
  if (o.orders)
    parts.push(
      `orders kept ${o.orders.kept}/${o.orders.total}, duplicates ${o.orders.duplicates}`,
    );
  if (o.rebalance)
    parts.push(
      `added pods answered ${percent(Math.round(100 * o.rebalance.share), 100)} of ${(o.rebalance.windowMs / 1000).toFixed(1)} s after they were ready (fair share ${percent(Math.round(100 * o.rebalance.fairShare), 100)}; ${o.rebalance.fairShareAfterMs === null ? 'never reached 80 % of it' : `80 % of it after ${(o.rebalance.fairShareAfterMs / 1000).toFixed(1)} s`})`,
    );
  if (o.oom) {
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
    parts.push(
      `OOMKilled: ${o.oom.killed ? `yes, holding ${o.oom.sessionsAtDeath ?? '?'} sessions, RSS peak ${mib(o.oom.peakRssBytes)} MiB of a ${mib(o.oom.limitBytes)} MiB limit` : 'no'}${o.oom.limitBytes !== o.oom.manifestLimitBytes ? ` (limit lowered for this run; the manifest says ${mib(o.oom.manifestLimitBytes)} MiB)` : ''}`,
      `pods not flooded: RSS peak ${mib(o.oom.othersPeakRssBytes)} MiB`,
    );
  }
  if (o.acknowledgedOrders)
    parts.push(
      `acknowledged orders lost ${o.acknowledgedOrders.lost}/${o.acknowledgedOrders.total} (WAIT ${o.acknowledgedOrders.waitReplicas ? `${o.acknowledgedOrders.waitReplicas} replica(s)` : 'off'})`,
    );
  if (o.failovers?.some((failover) => failover.promotedMs !== null)) {
    const promoted = o.failovers.flatMap((f) =>
      f.promotedMs === null ? [] : [f.promotedMs],
    );
    const back = o.failovers.flatMap((f) =>
      f.writesBackMs === null ? [] : [f.writesBackMs],
    );
    parts.push(
      `${o.failovers.length} kill(s): promoted after ${range(promoted)} ms, first 201 after ${range(back)} ms, kills that lost acknowledged orders ${o.failovers.filter((f) => f.lost > 0).length}/${o.failovers.length} (${o.failovers.map((f) => f.lost).join(',')})`,
    );
  }
  if (o.othersRestarted?.length)
    parts.push(
      `pods not disrupted restarted too: ${o.othersRestarted.join(', ')}`,
    );
  if (o.restartedInPlace) parts.push('restarted in place');
  // After a scale-in the removed pods are gone for good: not "replaced".
  if (o.replacedUnderNewName && !o.rebalance)
    parts.push('replaced under a new name');
  return parts.join('; ');
}

function buildTimeline(
  scenario: string,
  samples: Sample[],
  markers: Timeline['markers'],
): Omit<Timeline, 'metricDeltas'> {
  const apps = [...DEPLOYMENT_NAMES];
  const last = samples.length ? samples[samples.length - 1].at : 0;
  const buckets: Timeline['buckets'] = Array.from(
    { length: Math.floor(last / BUCKET_MS) + 1 },
    () => Object.fromEntries(apps.map((app) => [app, { ok: 0, failed: 0 }])),
  );
  for (const sample of samples) {
    const bucket = buckets[Math.floor(sample.at / BUCKET_MS)][sample.app];
    if (isFailure(sample.status)) bucket.failed++;
    else bucket.ok++;
  }
  return {
    scenario,
    bucketMs: BUCKET_MS,
    apps,
    buckets,
    markers: markers.map((m) => ({ ...m, at: Math.round(m.at) })),
  };
}

import { setTimeout as sleep } from 'node:timers/promises';
import { StoryUser } from '../client/story-client';
import { DEPLOYMENT_NAMES, type DeploymentName } from '../deployments';
import type { ClusterDriver, PodSummary } from '../drivers/cluster-driver';
import type { LocalDriver } from '../drivers/local-driver';
import type { ProbeSettings, RevocationObservation } from './logout-probe';
import { DEPLOYMENT_SCENARIOS } from './deployment-scenarios';
import { REDIS_SENTINEL_SCENARIOS } from './redis-sentinel-scenarios';

/** What a row is about: one of the deployments, or Redis (every app's requests). */
export type RowApp = DeploymentName | 'redis';

/** Which local stack a scenario needs (a cluster target runs whatever is deployed). */
export type StackVariant =
  | 'base'
  | 'redis-without-aof'
  | 'auth-per-pod'
  | 'revocation-denylist'
  | 'short-access-tokens'
  /** Flood accounts for a session flood, cart-legacy's memory limit lowered on --quick. */
  | 'oom'
  /** Redis with two replicas and three Sentinels (LAB_REDIS=sentinel). */
  | 'redis-sentinel';

/** The short-token stack's access-token lifetime (AUTH_ACCESS_TOKEN_TTL_SECONDS): quick, full. */
export const SHORT_ACCESS_TOKEN_SECONDS = { quick: 15, full: 60 } as const;
/** AUTH_CLOCK_TOLERANCE_SECONDS of the verifiers (their default): a token lives this much past exp. */
export const VERIFIER_CLOCK_TOLERANCE_SECONDS = 5;

/** One SIGKILL of a Redis node under load (the redis-sentinel rows). */
export interface RedisKill {
  pod: string;
  /** Epoch ms of the kill. */
  at: number;
  /** Until the Sentinels named another primary; null when the killed node was a replica. */
  promotedMs: number | null;
}

export interface Disrupted {
  app: string;
  pods: PodSummary[];
  kills?: RedisKill[];
  /** ms since the window started */
  at: number;
  /** Pods a scale-out added, and when they were ready (ms since the window started). */
  added?: { pods: string[]; readyAt: number; replicas: number };
  /** An OOM kill the scenario provoked, and what it measured of it. */
  oom?: Observation['oom'];
}

/** What one row observed; the expectation reads it, the report prints it. */
export interface Observation {
  app: RowApp;
  requests: {
    sent: number;
    failed: number;
    byStatus: Record<string, number>;
    longestFailureRunMs: number;
    /** Distinct virtual users who saw a failure, and the most any one of them saw. */
    failedUsers: number;
    maxFailuresPerUser: number;
  };
  replacementReadyMs: number | null;
  tokens: { valid: number; total: number };
  sessions?: {
    kept: number;
    lost: number;
    total: number;
    expectedLost: number;
    /** Users who saw this cart fail although their session was on a pod left alone. */
    failedUsersHeldElsewhere: number;
  };
  orders?: { kept: number; total: number; duplicates: number };
  /**
   * Every order answered 201 during the window, read back afterwards (the Redis failover rows):
   * `lost` were acknowledged and are gone. `waitReplicas` is the order pods' ORDER_WAIT_REPLICAS.
   */
  acknowledgedOrders?: { total: number; lost: number; waitReplicas: number };
  /** Per kill: Sentinel's promotion, the first 201 after it, and the acknowledged orders it lost. */
  failovers?: Array<{
    pod: string;
    promotedMs: number | null;
    writesBackMs: number | null;
    lost: number;
  }>;
  /**
   * Disruption rows: pods of the row's app the scenario did not disrupt that restarted anyway
   * (the row fails, whatever it expects).
   */
  othersRestarted?: string[];
  restartedInPlace?: boolean;
  replacedUnderNewName?: boolean;
  /** Probe rows (`logout`): what happened to a logged-out access token. */
  revocation?: RevocationObservation;
  /** After a scale-out: how much of the app's traffic the added pods took (see rebalanceOf). */
  rebalance?: {
    addedPods: number;
    fairShare: number;
    share: number;
    windowMs: number;
    fairShareAfterMs: number | null;
  };
  /** An OOM kill: did the victim die of its limit, and what did it hold then. */
  oom?: {
    killed: boolean;
    sessionsAtDeath: number | null;
    peakRssBytes: number;
    /** The limit this run enforced; a --quick run lowers the manifest's. */
    limitBytes: number;
    manifestLimitBytes: number;
    /** The highest RSS any of those reached under the users' load alone. */
    othersPeakRssBytes: number;
  };
}

export interface RowExpectation {
  app: RowApp;
  /** The steady-state hypothesis for this row, stated before the run. */
  expected: string;
  /** Why the outcome is what it is: where the state lived. */
  why: string;
  holds(observation: Observation): boolean;
  /**
   * Where a cluster's entry point (Traefik) behaves otherwise than the local gateway, the
   * hypothesis on a cluster, said as plainly (docs/kubernetes.md compares both tables).
   */
  onCluster?: Pick<RowExpectation, 'expected' | 'holds'>;
}

export interface DisruptionContext {
  /** The auth pod that issued each virtual user's token (x-pod-name of its login). */
  tokenIssuers: string[];
  /** A user of its own (not one of the virtual users), to act like fresh traffic would. */
  freshUser(): StoryUser;
  /** Order replicas: how many verifiers a request must reach to reach them all. */
  orderReplicas: number;
  /** Puts a step on the report's timeline (`order-abc-1 ready`). */
  mark(app: string, label: string): void;
  /** Adds a point to a sampled series of the timeline (an RSS curve). */
  sample(name: string, unit: string, value: number): void;
  /** ms since the window started. */
  now(): number;
  /** How many times a repeated disruption repeats (`--kills`, redis-primary-kill). */
  kills: number;
}

/**
 * A verifier drops a signing key only when it refetches the JWKS, which it does when a token
 * names a kid it does not know (or when its cache ages out, 10 minutes). In a cluster that token
 * comes with the next user who logs in on the replacement pod; here a fresh user does exactly
 * that, and shows the token to every order replica, so the outcome does not hang on timing.
 */
async function presentReplacementKey(
  driver: ClusterDriver,
  deleted: string,
  context: DisruptionContext,
): Promise<void> {
  const deadline = performance.now() + 30_000;
  const user = context.freshUser();
  while (performance.now() < deadline) {
    const replacements = (await driver.listPods('auth')).filter(
      (pod) => pod.ready && pod.name !== deleted,
    );
    const login = replacements.length ? await user.login() : undefined;
    const issuer = login?.pod;
    if (issuer && !context.tokenIssuers.includes(issuer)) {
      // Round robin: twice the replicas reaches every order pod even with other traffic between.
      for (let i = 0; i < 2 * context.orderReplicas + 2; i++)
        await user.listOrders();
      return;
    }
    await sleep(200);
  }
}

interface ScenarioBasics {
  name: string;
  title: string;
  variant: StackVariant;
  /** `--scenario <family>` selects every scenario of the family (one per stack variant). */
  family?: string;
  /** Why a scenario that could run on a cluster does not yet (said in docs/kubernetes.md). */
  notOnClusterYet?: string;
  rows: RowExpectation[];
}

/** Steady load from every virtual user, a disruption of pods, then what each user kept (runner.ts). */
export interface DisruptionScenario extends ScenarioBasics {
  kind: 'disruption';
  /** Carts are only built where the bearer tokens can be verified (not with per-pod keys). */
  buildsCarts: boolean;
  /** Read back every order acknowledged during the window, not only those placed before it. */
  checksEveryAcknowledgedOrder?: boolean;
  disrupt(
    driver: ClusterDriver,
    pick: (app: string) => Promise<PodSummary[]>,
    context: DisruptionContext,
  ): Promise<
    Array<Pick<Disrupted, 'app' | 'pods' | 'added' | 'oom' | 'kills'>>
  >;
}

/**
 * No pod is disrupted: one user does something (log out) and every replica of an app is asked,
 * around the gateway, what it makes of it (probe-runner.ts). Local stack only: a cluster's entry
 * point does not let a client choose the pod.
 */
export interface ProbeScenario extends ScenarioBasics {
  kind: 'probe';
  probe(quick: boolean): ProbeSettings;
}

export type Scenario = DisruptionScenario | ProbeScenario;

const noFailures = (o: Observation) => o.requests.failed === 0;
const allTokens = (o: Observation) => o.tokens.valid === o.tokens.total;
const allOrders = (o: Observation) =>
  !!o.orders && o.orders.kept === o.orders.total && o.orders.duplicates === 0;
const allSessions = (o: Observation) => !!o.sessions && o.sessions.lost === 0;
/**
 * A pinned (affinity) user has one request in flight at a time, and only users pinned to the
 * killed pod can have one there: express-session writes the top of a response before its store
 * answers, so a pod killed in between leaves that client a truncated response. Nobody else fails.
 */
const failuresOnlyInFlightOnTheKilledPod = (o: Observation) =>
  !!o.sessions && o.requests.failed <= o.sessions.expectedLost;
const exactlyTheKilledPodsSessions = (o: Observation) =>
  !!o.sessions && o.sessions.lost === o.sessions.expectedLost;

const STATE_IN_PROCESS =
  'state lived in the process: the memory store died with it';
const STATE_IN_REDIS = 'state lived in Redis: any replica serves it';
const STATELESS =
  'nothing lived in the process: the token/order carries or stores everything';

/**
 * On a cluster the entry point is Traefik, with the retry middleware of
 * k8s/components/entry-point-retry. It retries a request only while the request has not reached
 * a pod (a refused connection); one already written to a dying process fails with it (502).
 * Measured: that is each keep-alive connection Traefik held to the process, which is fewer than
 * the virtual users (without the middleware, every request routed there until the endpoint is
 * gone fails: 39-79 per app). A sticky user (cart-legacy) stays on its pod until the pod's
 * endpoint is gone, retries included: only those users see failures, then their cart is gone.
 */
const fewerFailuresThanUsers = (o: Observation) =>
  o.requests.failed < o.tokens.total;
const failuresOnlyForUsersOfTheKilledPod = (o: Observation) =>
  !!o.sessions && o.sessions.failedUsersHeldElsewhere === 0;
const IN_FLIGHT_ON_CLUSTER =
  'fewer failed requests than users (those written to the dead process; Traefik retries the rest)';

/** The four rows of a single-pod kill: what a user of each app keeps. */
function singlePodRows(
  kind: string,
  extra: (o: Observation) => boolean = () => true,
  { processDies = false }: { processDies?: boolean } = {},
): RowExpectation[] {
  const onCluster = (
    expected: string,
    holds: (o: Observation) => boolean,
  ): Pick<RowExpectation, 'onCluster'> =>
    processDies
      ? {
          onCluster: {
            expected: `${IN_FLIGHT_ON_CLUSTER}; ${expected} (${kind})`,
            holds: (o) => fewerFailuresThanUsers(o) && holds(o) && extra(o),
          },
        }
      : {};
  return [
    {
      app: 'auth',
      expected: `0 failed requests; every token still valid (${kind})`,
      why: 'tokens are verified with the shared JWKS; refresh tokens live in Redis',
      holds: (o) => noFailures(o) && allTokens(o) && extra(o),
      ...onCluster('every token still valid', allTokens),
    },
    {
      app: 'order',
      expected:
        '0 failed requests (the gateway retries); every order kept; 0 duplicates',
      why: STATELESS,
      holds: (o) => noFailures(o) && allOrders(o) && extra(o),
      ...onCluster('every order kept; 0 duplicates', allOrders),
    },
    {
      app: 'cart',
      expected: '0 failed requests; every cart kept',
      why: STATE_IN_REDIS,
      holds: (o) => noFailures(o) && allSessions(o) && extra(o),
      ...onCluster('every cart kept', allSessions),
    },
    {
      app: 'cart-legacy',
      expected:
        'carts lost = exactly the sessions on the killed pod (≈ 1/N of users); others kept; at most one request in flight per such user fails',
      why: STATE_IN_PROCESS,
      holds: (o) =>
        failuresOnlyInFlightOnTheKilledPod(o) &&
        exactlyTheKilledPodsSessions(o) &&
        extra(o),
      onCluster: {
        expected:
          'carts lost = exactly the sessions on the killed pod (≈ 1/N of users); others kept; only users pinned to it see failures, until its endpoint is gone',
        holds: (o) =>
          failuresOnlyForUsersOfTheKilledPod(o) &&
          exactlyTheKilledPodsSessions(o) &&
          extra(o),
      },
    },
  ];
}

/** Disrupts the first running pod of each app at the same moment. */
const onePodOfEachApp =
  (
    action: (driver: ClusterDriver, name: string) => Promise<void>,
  ): DisruptionScenario['disrupt'] =>
  async (driver, pick) => {
    // The pod restarted least: a container the kubelet restarted recently would come back
    // only after its crash-loop back-off (10 s, then 20 s, ...), not what this row measures.
    const targets = await Promise.all(
      DEPLOYMENT_NAMES.map(async (app) => ({
        app,
        pods: [...(await pick(app))]
          .sort((a, b) => a.restarts - b.restarts)
          .slice(0, 1),
      })),
    );
    await Promise.all(
      targets.flatMap(({ pods }) =>
        pods.map((pod) => action(driver, pod.name)),
      ),
    );
    return targets;
  };

const killRedis: DisruptionScenario['disrupt'] = async (driver, pick) => {
  const pods = await pick('redis');
  await Promise.all(pods.map((pod) => driver.killProcess(pod.name)));
  return [{ app: 'redis', pods }];
};

const revoked = (o: Observation) => o.revocation!;
const TOKEN_CARRIES_ITSELF =
  'the token carries its own validity: no replica asks anyone whether it was taken back';

/**
 * Log in, log out, keep showing the access token to every order replica: the price of stateless
 * login, and the two ways out (state brought back; a shorter life).
 */
const LOGOUT_SCENARIOS: ProbeScenario[] = [
  {
    name: 'logout',
    family: 'logout',
    kind: 'probe',
    title:
      'log out, keep using the access token on every order replica (AUTH_REVOCATION=none)',
    variant: 'base',
    // Not until exp (15 min): long enough to see it accepted on every replica, the rest is exp.
    probe: (quick) => ({
      setting: 'none',
      boundMs: quick ? 3000 : 10_000,
      intervalMs: 250,
    }),
    rows: [
      {
        app: 'order',
        expected:
          'accepted on every replica for the whole probe, still valid until exp; the refresh token is dead',
        why: TOKEN_CARRIES_ITSELF,
        holds: (o) =>
          revoked(o).replicasAccepting === revoked(o).replicas &&
          revoked(o).replicasAcceptingAtEnd === revoked(o).replicas &&
          o.requests.sent === o.requests.byStatus['200'] &&
          revoked(o).remainingLifetimeSeconds > 0 &&
          revoked(o).refreshRefusedAfterLogout,
      },
    ],
  },
  {
    name: 'logout-denylist',
    family: 'logout',
    kind: 'probe',
    title:
      'log out with AUTH_REVOCATION=denylist: the jti goes to Redis, every verifier looks it up',
    variant: 'revocation-denylist',
    probe: () => ({ setting: 'denylist', boundMs: 3000, intervalMs: 250 }),
    rows: [
      {
        app: 'order',
        expected:
          'refused (401 token revoked) by every replica on the first request after logout, cached or not',
        why: 'state came back: the denylist in Redis, one lookup per request on every replica',
        holds: (o) =>
          revoked(o).refusedAtOnce &&
          revoked(o).replicasAccepting === 0 &&
          revoked(o).refusals.join() === 'token revoked' &&
          revoked(o).refreshRefusedAfterLogout,
      },
    ],
  },
  {
    name: 'logout-short-tokens',
    family: 'logout',
    kind: 'probe',
    title:
      'log out with short access tokens (the client refreshes): accepted until a near exp',
    variant: 'short-access-tokens',
    probe: (quick) => ({
      setting: 'none',
      boundMs:
        (SHORT_ACCESS_TOKEN_SECONDS[quick ? 'quick' : 'full'] +
          VERIFIER_CLOCK_TOLERANCE_SECONDS +
          5) *
        1000,
      intervalMs: 250,
    }),
    rows: [
      {
        app: 'order',
        expected: `accepted after logout for at most the token's lifetime (+ ${VERIFIER_CLOCK_TOLERANCE_SECONDS} s clock tolerance), then refused (401 token expired) by every replica`,
        why: 'still stateless: the window is the lifetime, paid for with a refresh per lifetime per user',
        holds: (o) =>
          revoked(o).refreshedBeforeLogout &&
          revoked(o).acceptedForMs <=
            (revoked(o).accessTokenLifetimeSeconds +
              VERIFIER_CLOCK_TOLERANCE_SECONDS) *
              1000 &&
          revoked(o).replicasAcceptingAtEnd === 0 &&
          revoked(o).refusals.join() === 'token expired' &&
          revoked(o).refreshRefusedAfterLogout,
      },
    ],
  },
];

export const SCENARIOS: Scenario[] = [
  {
    name: 'delete-pod',
    title: 'kubectl delete pod --grace-period=0 --force (one pod of each app)',
    kind: 'disruption',
    variant: 'base',
    buildsCarts: true,
    disrupt: onePodOfEachApp((driver, name) => driver.deletePod(name, 0)),
    rows: singlePodRows(
      'replaced under a new name',
      (o) => o.replacedUnderNewName === true,
    ),
  },
  {
    name: 'crash',
    title:
      'the process dies (kill -9 of one pod of each app): restarted in place',
    kind: 'disruption',
    variant: 'base',
    buildsCarts: true,
    disrupt: onePodOfEachApp((driver, name) => driver.killProcess(name)),
    rows: singlePodRows(
      'restarted in place',
      (o) => o.restartedInPlace === true,
      { processDies: true },
    ),
  },
  {
    name: 'graceful-delete',
    title: 'kubectl delete pod (SIGTERM, drain) of one pod of each app',
    kind: 'disruption',
    variant: 'base',
    buildsCarts: true,
    disrupt: onePodOfEachApp((driver, name) => driver.deletePod(name, 10)),
    rows: singlePodRows('graceful'),
  },
  {
    name: 'kill-all',
    title: 'SIGKILL every pod of every app at once',
    kind: 'disruption',
    variant: 'base',
    buildsCarts: true,
    disrupt: async (driver, pick) => {
      const targets = await Promise.all(
        DEPLOYMENT_NAMES.map(async (app) => ({ app, pods: await pick(app) })),
      );
      await Promise.all(
        targets.flatMap(({ pods }) =>
          pods.map((pod) => driver.killProcess(pod.name)),
        ),
      );
      return targets;
    },
    rows: [
      {
        app: 'auth',
        expected: 'requests fail until a pod is back; every token still valid',
        why: 'signing keys come from the shared Secret, so restarted pods verify old tokens',
        holds: allTokens,
      },
      {
        app: 'order',
        expected:
          'requests fail until a pod is back; every order kept; 0 duplicates',
        why: 'orders and idempotency keys live in Redis',
        holds: allOrders,
      },
      {
        app: 'cart',
        expected: 'requests fail until a pod is back; every cart kept',
        why: STATE_IN_REDIS,
        holds: allSessions,
      },
      {
        app: 'cart-legacy',
        expected: 'every cart lost',
        why: STATE_IN_PROCESS,
        holds: (o) => !!o.sessions && o.sessions.kept === 0,
      },
    ],
  },
  {
    name: 'redis-kill',
    title: 'SIGKILL the Redis pod, persistence (AOF) on',
    kind: 'disruption',
    variant: 'base',
    buildsCarts: true,
    disrupt: killRedis,
    rows: [
      {
        app: 'redis',
        expected: 'brief 503s; every Redis cart, order and token kept',
        why: 'Redis wrote each change to its append-only file before answering',
        holds: (o) => allSessions(o) && allOrders(o) && allTokens(o),
      },
    ],
  },
  {
    name: 'redis-kill-without-aof',
    title: 'SIGKILL the Redis pod, persistence off (a cache that forgets)',
    kind: 'disruption',
    variant: 'redis-without-aof',
    buildsCarts: true,
    disrupt: killRedis,
    rows: [
      {
        app: 'redis',
        expected: 'every Redis cart and order lost; access tokens still valid',
        why: 'the state moved to Redis, and Redis kept it only in memory; JWTs carry themselves',
        holds: (o) =>
          !!o.sessions &&
          o.sessions.kept === 0 &&
          !!o.orders &&
          o.orders.kept === 0 &&
          allTokens(o),
      },
    ],
  },
  {
    name: 'auth-per-pod',
    title:
      'AUTH_KEY_MODE=per-pod: delete one auth pod (each pod signed with its own key)',
    kind: 'disruption',
    variant: 'auth-per-pod',
    buildsCarts: false,
    // The pod whose key signed most of the users' tokens: deleting another one would leave
    // every token verifiable and show nothing (a coin toss with two auth pods).
    disrupt: async (driver, pick, context) => {
      const running = await pick('auth');
      const signed = (pod: PodSummary) =>
        context.tokenIssuers.filter((issuer) => issuer === pod.name).length;
      const pods = [...running]
        .sort((a, b) => signed(b) - signed(a))
        .slice(0, 1);
      await Promise.all(pods.map((pod) => driver.deletePod(pod.name, 0)));
      for (const pod of pods)
        await presentReplacementKey(driver, pod.name, context);
      return [{ app: 'auth', pods }];
    },
    rows: [
      {
        app: 'auth',
        expected:
          'some tokens no longer accepted (the key that signed them died with its pod)',
        why: 'the signing key lived in the process',
        holds: (o) => o.tokens.valid < o.tokens.total,
      },
    ],
  },
  {
    name: 'legacy-without-affinity',
    title:
      'cart-legacy behind plain round-robin (no cookie affinity), no kill at all',
    kind: 'disruption',
    variant: 'base',
    buildsCarts: true,
    disrupt: async (driver) => {
      await (driver as LocalDriver).setLegacyCartAffinity(false);
      return [];
    },
    rows: [
      {
        app: 'cart-legacy',
        expected:
          'carts lost without any pod dying (requests land on pods that never saw the session)',
        why: STATE_IN_PROCESS,
        holds: (o) => !!o.sessions && o.sessions.lost > 0,
      },
    ],
  },
  ...LOGOUT_SCENARIOS,
  // The same Redis with replicas and Sentinel (LAB_REDIS=sentinel): redis-sentinel-scenarios.ts.
  ...REDIS_SENTINEL_SCENARIOS,
];

SCENARIOS.push(...DEPLOYMENT_SCENARIOS);

export function selectScenarios(
  names: string[] | undefined,
  target: 'local' | 'k8s',
): Scenario[] {
  const available = SCENARIOS.filter(
    // A cluster runs what is deployed: stack variants, the gateway switch and probes of every
    // pod are local-only.
    (scenario) =>
      target === 'local' ||
      (scenario.variant === 'base' &&
        scenario.kind === 'disruption' &&
        !scenario.notOnClusterYet &&
        scenario.name !== 'legacy-without-affinity'),
  );
  if (!names?.length) return available;
  const named = (scenario: Scenario, name: string) =>
    scenario.name === name || scenario.family === name;
  const unknown = names.filter(
    (name) => !SCENARIOS.some((scenario) => named(scenario, name)),
  );
  if (unknown.length) {
    throw new Error(
      `unknown scenario ${unknown.join(', ')} (have ${SCENARIOS.map((s) => s.name).join(', ')})`,
    );
  }
  return available.filter((scenario) =>
    names.some((name) => named(scenario, name)),
  );
}

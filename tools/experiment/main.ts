/**
 * `npm run experiment`: what survives a pod kill, measured. States the hypothesis, runs the
 * scenarios under steady load from virtual users, prints the survival table, writes
 * reports/<timestamp>.json and .html, and exits 1 if any outcome differs from the expectation.
 *
 *   npm run experiment -- [--quick] [--scenario delete-pod,crash,...] [--users 30]
 *                         [--target local|k8s] [--url http://127.0.0.1:8080] [--out reports]
 *                         [--sabotage redis-without-aof|auth-per-pod|rollout-all-unavailable|
 *                                     bystander-crash]
 *                         [--context C] [--namespace N]
 *                         [--kills 20]   (redis-primary-kill: SIGKILL the primary that many times)
 * ORDER_WAIT_REPLICAS / ORDER_WAIT_TIMEOUT_MS in the environment reach the redis-sentinel stack's
 * order pods: the failover rows then expect 0 acknowledged orders lost.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { ensureBuilt, ROOT } from '../build/ensure-built';
import {
  DEPLOYMENTS,
  perDeployment,
  type DeploymentName,
} from '../deployments';
import type { ClusterDriver } from '../drivers/cluster-driver';
import { localNodeProcessKiller } from '../cluster/node-access';
import { KubernetesDriver } from '../drivers/k8s-driver';
import { LocalDriver } from '../drivers/local-driver';
import { preflight } from '../preflight/preflight';
import type { LocalStackOptions } from '../lab/local-stack';
import {
  describeDeltas,
  formatTable,
  writeReports,
  type ExperimentReport,
} from './report';
import { runProbe } from './probe-runner';
import { expectationFor, runWindow, type Row, type Timeline } from './runner';
import {
  selectScenarios,
  SHORT_ACCESS_TOKEN_SECONDS,
  VERIFIER_CLOCK_TOLERANCE_SECONDS,
  type Scenario,
  type StackVariant,
} from './scenarios';
import { VirtualUser, virtualUserAccounts } from './virtual-users';
import { FLOOD_USERS, floodAccounts } from './session-flood';

/**
 * cart-legacy's memory limit on the oom stack, lowered from the manifest's 256Mi (the report
 * shows both). Measured on 2 shared cores with 30 virtual users: under 256Mi the flooded pod
 * never dies. Its store holds at most 10,000 sessions (MEMORY_STORE_MAX_SESSIONS, then it evicts
 * the least recently used), reached after ~210 s of flood; RSS peaked at 238 MiB and settled
 * near 200 MiB. The bound holds; a lower limit shows what an OOM kill does, in seconds. The
 * limit is every cart-legacy pod's, and the pods not flooded reached 149 MiB under the users'
 * load alone (beside npm test): 160 MiB left them too little room, 192 MiB kills the flooded pod
 * in about 20 s (2026-12-02).
 */
const OOM_LEGACY_MEMORY_LIMIT_BYTES = 192 * 2 ** 20;

/** A --quick run's pods: every deployment named, so a new one cannot be left out. */
const QUICK_REPLICAS: Record<DeploymentName, number> = {
  auth: 2,
  order: 2,
  cart: 2,
  'cart-legacy': 3,
};

const SABOTAGES = [
  'redis-without-aof',
  'auth-per-pod',
  'rollout-all-unavailable',
  'bystander-crash',
] as const;
type Sabotage = (typeof SABOTAGES)[number];

class UsageError extends Error {}

function stackOptions(
  variant: StackVariant,
  quick: boolean,
  users: string,
  sabotage?: Sabotage,
): LocalStackOptions {
  return {
    labPort: 0,
    users:
      variant === 'oom'
        ? [
            users,
            ...floodAccounts(FLOOD_USERS).map(
              ([name, password]) => `${name}:${password}`,
            ),
          ].join(',')
        : users,
    memoryLimitBytes:
      variant === 'oom'
        ? { 'cart-legacy': OOM_LEGACY_MEMORY_LIMIT_BYTES }
        : undefined,
    replicas: quick ? QUICK_REPLICAS : undefined,
    // A sabotage runs the stack broken while the expectations stay: the verdict must catch it.
    redisMode: variant === 'redis-sentinel' ? 'sentinel' : 'single',
    redisPersistence: !(
      variant === 'redis-without-aof' || sabotage === 'redis-without-aof'
    ),
    authKeyMode:
      variant === 'auth-per-pod' || sabotage === 'auth-per-pod'
        ? 'per-pod'
        : 'shared',
    authRevocation: variant === 'revocation-denylist' ? 'denylist' : 'none',
    // A broken rollout: every old pod stopped at once (maxUnavailable 100 %), where the
    // manifests say 0. The rollout rows must catch it.
    rolloutStrategy:
      sabotage === 'rollout-all-unavailable'
        ? perDeployment(() => ({ maxSurge: 1, maxUnavailable: '100%' }))
        : undefined,
    environment: variantEnvironment(variant, quick),
  };
}

/** The apps that verify auth's tokens: what the JWKS and clock settings reach. */
const VERIFIERS = DEPLOYMENTS.filter(
  (deployment) => deployment.verifiesTokens,
).map((deployment) => deployment.name);

function variantEnvironment(
  variant: StackVariant,
  quick: boolean,
): LocalStackOptions['environment'] {
  const onVerifiers = (environment: Record<string, string>) =>
    Object.fromEntries(VERIFIERS.map((app) => [app, environment]));
  // Verifiers refetch the JWKS for an unknown kid at most once per cooldown (30 s by default);
  // a window of this experiment is shorter, so the per-pod stack lets them refetch at once.
  if (variant === 'auth-per-pod')
    return onVerifiers({ AUTH_JWKS_COOLDOWN_SECONDS: '1' });
  if (variant === 'redis-sentinel') return { order: orderWaitEnvironment() };
  if (variant === 'short-access-tokens')
    return {
      auth: {
        AUTH_ACCESS_TOKEN_TTL_SECONDS: String(
          SHORT_ACCESS_TOKEN_SECONDS[quick ? 'quick' : 'full'],
        ),
      },
      // Stated, not assumed: the row's bound is the lifetime plus this tolerance.
      ...onVerifiers({
        AUTH_CLOCK_TOLERANCE_SECONDS: String(VERIFIER_CLOCK_TOLERANCE_SECONDS),
      }),
    };
  return undefined;
}

/** The order service's WAIT settings, passed through from this process's environment. */
function orderWaitEnvironment(): Record<string, string> {
  return Object.fromEntries(
    (['ORDER_WAIT_REPLICAS', 'ORDER_WAIT_TIMEOUT_MS'] as const).flatMap(
      (name) =>
        process.env[name] === undefined
          ? []
          : [[name, process.env[name] as string]],
    ),
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string' },
      users: { type: 'string' },
      target: { type: 'string', default: 'local' },
      url: { type: 'string' },
      out: { type: 'string', default: join(ROOT, 'reports') },
      sabotage: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string' },
      kills: { type: 'string', default: '1' },
    },
  });
  const kills = Number(values.kills);
  if (!Number.isInteger(kills) || kills < 1 || kills > 100)
    throw new UsageError('--kills must be an integer from 1 to 100');
  const waitReplicas = Number(process.env.ORDER_WAIT_REPLICAS ?? 0);
  if (!Number.isInteger(waitReplicas) || waitReplicas < 0)
    throw new UsageError('ORDER_WAIT_REPLICAS must be an integer ≥ 0');
  const target = values.target as 'local' | 'k8s';
  if (target !== 'local' && target !== 'k8s')
    throw new UsageError('--target must be local or k8s');
  if (target === 'k8s' && !values.url) {
    throw new UsageError(
      '--target k8s needs --url: the entry point (Ingress/Gateway) URL, not a port-forward',
    );
  }
  if (target === 'k8s' && values.sabotage)
    throw new UsageError('--sabotage runs local stacks only');
  const sabotage = values.sabotage as Sabotage | undefined;
  if (sabotage && !SABOTAGES.includes(sabotage)) {
    throw new UsageError(`--sabotage must be one of ${SABOTAGES.join(', ')}`);
  }
  const quick = values.quick;
  const userCount = Number(values.users ?? (quick ? 12 : 30));
  if (!Number.isInteger(userCount) || userCount < 2 || userCount > 200) {
    throw new UsageError('--users must be an integer from 2 to 200');
  }
  let scenarios: Scenario[];
  try {
    scenarios = selectScenarios(
      values.scenario?.split(',').filter(Boolean),
      target,
    );
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  // A running stack (--url) is what it is: variants that need another stack are skipped.
  scenarios = scenarios.filter(
    (scenario) => !values.url || scenario.variant === 'base',
  );
  // Local stacks of its own need redis-server; a running stack (--url) or a cluster do not.
  if (!values.url) preflight('npm run experiment', ['redis-server']);
  const progress = (line: string) =>
    console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

  console.log('Hypothesis (steady state expected after each disruption):');
  for (const scenario of scenarios) {
    for (const row of scenario.rows)
      console.log(
        `  ${`${scenario.name}/${row.app}`.padEnd(38)} ${expectationFor(row, target).expected}`,
      );
  }
  console.log('');

  const startedAt = new Date().toISOString();
  const rows: Row[] = [];
  const timelines: Timeline[] = [];
  const accounts = virtualUserAccounts(userCount);
  const variants = [...new Set(scenarios.map((scenario) => scenario.variant))];
  if (!values.url) ensureBuilt(progress);

  for (const variant of variants) {
    let driver: ClusterDriver;
    let users: VirtualUser[];
    if (values.url) {
      driver =
        target === 'k8s'
          ? await KubernetesDriver.connect({
              baseUrl: values.url,
              context: values.context,
              namespace: values.namespace,
              nodeAccess: localNodeProcessKiller,
            })
          : LocalDriver.attach(values.url);
      // A stack started with `npm start` knows the demo users only: virtual users share them.
      users = accounts.map((_, index) => {
        const name = index % 2 ? 'bob' : 'alice';
        return new VirtualUser(driver.baseUrl, index, name, name);
      });
    } else {
      progress(
        `booting a fresh local stack (${variant}${sabotage ? `, sabotaged: ${sabotage}` : ''})`,
      );
      const userList = accounts
        .map(([name, password]) => `${name}:${password}`)
        .join(',');
      driver = await LocalDriver.boot(
        stackOptions(variant, quick, userList, sabotage),
      );
      users = accounts.map(
        ([name, password], index) =>
          new VirtualUser(driver.baseUrl, index, name, password),
      );
      progress(`stack ready at ${driver.baseUrl}`);
    }
    try {
      for (const scenario of scenarios.filter(
        (candidate: Scenario) => candidate.variant === variant,
      )) {
        const result: { rows: Row[]; timeline?: Timeline } =
          scenario.kind === 'probe'
            ? await runProbe(scenario, driver, users, { quick, progress })
            : await runWindow(scenario, driver, users, {
                leadMs: quick ? 400 : 1500,
                settleMs: quick ? 600 : 2000,
                // A container the kubelet restarts again within 10 minutes waits out its
                // crash-loop back-off first (10 s, 20 s, 40 s, ...): kill-all after crash meets
                // it on a cluster.
                readyTimeoutMs: target === 'k8s' ? 90_000 : 30_000,
                kills,
                waitReplicas,
                crashBystander: sabotage === 'bystander-crash',
                progress,
              });
        rows.push(...result.rows);
        if (result.timeline) {
          timelines.push(result.timeline);
          const moved = describeDeltas(result.timeline.metricDeltas);
          if (moved.length)
            progress(`${scenario.name}: metric deltas: ${moved.join('; ')}`);
        }
        for (const row of result.rows)
          progress(
            `${row.pass ? 'ok  ' : 'FAIL'} ${row.scenario}/${row.app}: ${row.observed}`,
          );
      }
    } finally {
      await driver.close();
    }
  }

  const failedRows = rows
    .filter((row) => !row.pass)
    .map((row) => `${row.scenario}/${row.app}`);
  const report: ExperimentReport = {
    schemaVersion: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    target,
    quick,
    virtualUsers: userCount,
    sabotage: sabotage ?? null,
    verdict: failedRows.length ? 'failed' : 'passed',
    failedRows,
    rows,
    timelines,
  };
  const written = writeReports(report, values.out);
  console.log(`\nSurvival table\n${formatTable(rows)}\n`);
  console.log(`reports: ${written.json}\n         ${written.html}`);
  console.log(
    failedRows.length
      ? `VERDICT: outcome differs from the hypothesis in ${failedRows.join(', ')}`
      : 'VERDICT: every outcome as expected',
  );
  return failedRows.length ? 1 : 0;
}

// Ctrl-C or a SIGTERM mid-run: exit, and the lab's exit hook kills every pod this run started
// (they sit in process groups of their own, out of reach of the terminal's signal).
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)
  process.once(signal, () => {
    console.error(`\nexperiment: ${signal}, stopping every pod it started`);
    process.exit(code);
  });

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`experiment: ${error.message}`);
    process.exit(error instanceof UsageError ? 2 : 3);
  },
);

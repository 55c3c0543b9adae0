/**
 * `npm run bench`: what statelessness costs and buys, measured side by side. Baselines (node:http,
 * bare Nest on Express and on Fastify), identity per request (JWT vs Redis session vs memory
 * session), the real routes, the gateway's own cost and scale-out, each as a ratio to both bare
 * Nests; then start-up time, memory
 * and install size. Prints a table and writes reports/bench-<timestamp>.json and .html.
 *
 *   npm run bench -- [--quick] [--out reports] [--skip-build] [--rows menu,cart-add,...]
 *
 * `--rows conversation` is the americano conversation (conversation.ts), stateful vs stateless,
 * bytes counted on the socket; alone it needs no throughput row, hence no bare-Nest reference.
 *
 * --skip-build benchmarks dist/ as it is, even when sources are newer (e.g. while they are
 * mid-edit and would not build); by default a stale build is rebuilt first, as `npm start` does.
 *
 * Load goes to 127.0.0.1 only, from this process (autocannon); every server runs in a process of
 * its own, all started here and all stopped by pid on the way out, Ctrl-C included.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BUILT_APPS,
  ensureBuilt,
  entryPointOf,
  ROOT,
} from '../build/ensure-built';
import { DEPLOYMENT_NAMES } from '../deployments';
import { preflight } from '../preflight/preflight';
import {
  measureInstallSize,
  measureStartups,
  memorySamples,
  memorySnapshot,
} from './footprint';
import {
  measureConversations,
  type ConversationPlan,
  type ConversationReport,
} from './conversation';
import { formatConversations } from './conversation-table';
import { measureDenylistCost } from './denylist-cost';
import { measureJwtCost } from './jwt-cost';
import { measure, type LoadPlan, type Measurement } from './measure';
import { OwnProcesses } from './processes';
import { measureRefreshTraffic } from './refresh-traffic';
import {
  formatDenylistCost,
  formatFootprint,
  formatRefreshTraffic,
  formatTable,
  megabytes,
  writeReports,
  type BenchReport,
  type Row,
} from './report';
import { login, prepareFixtures, scenarios, type Scenario } from './scenarios';
import {
  startBaseline,
  startOrderOnExpress,
  type RunningServer,
} from './servers';
import { BenchStack, READER } from './stack';
import { ratio } from './statistics';

interface BenchPlan extends LoadPlan {
  /**
   * Length of the bare-Nest round measured right before and right after every row: each row's
   * ratio is to those two, not to a reference measured minutes earlier on a shared machine.
   */
  referenceSeconds: number;
  conversation: ConversationPlan;
}

/**
 * `--rows` names that are not autocannon rows: the conversation section, the start-up times,
 * the denylist's cost and the refresh traffic of short tokens.
 */
const CONVERSATION = 'conversation';
const STARTUP = 'startup';
const DENYLIST_COST = 'denylist-cost';
const REFRESH_TRAFFIC = 'refresh-traffic';
const MEASUREMENTS_OF_THEIR_OWN = [
  CONVERSATION,
  STARTUP,
  DENYLIST_COST,
  REFRESH_TRAFFIC,
];

const PLANS: Record<'quick' | 'full', BenchPlan> = {
  // Under two minutes on the 2-core machine, start-up and footprint included (autocannon
  // rounds last whole seconds).
  quick: {
    rounds: 2,
    roundSeconds: 1,
    warmupSeconds: 1,
    connections: 16,
    referenceSeconds: 1,
    conversation: { seconds: 2, warmupSeconds: 1 },
  },
  full: {
    rounds: 5,
    roundSeconds: 5,
    warmupSeconds: 3,
    connections: 16,
    referenceSeconds: 3,
    // Both conversations at 1 and 16 users: 2 × (1 + 2 × 5) s, so that `--rows conversation`
    // alone stays under a minute with the stack's boot and the start-ups.
    conversation: { seconds: 5, warmupSeconds: 1 },
  },
};

const CAVEATS = [
  'Load generator, gateway, every pod and Redis share the same 2 cores (and whatever else runs on the machine): absolute numbers are this machine on this day; the ratios are the finding.',
  'autocannon runs in the bench process and needs CPU itself, so the node:http ceiling is partly the load generator’s ceiling.',
  'Scale-out on 2 cores cannot add capacity: extra replicas compete for the same cores as the gateway and the load generator. The rows show the ceiling, not what a cluster of machines would do.',
  'Redis runs with the cluster’s persistence (AOF, fsync every second), not the lab’s fsync-always.',
  'The baselines run their TypeScript through tsx: their RSS includes the loader and is not comparable to the built pods’.',
  'p50/p99 are over every response of the measured rounds; req/s is the median of the rounds, with their min–max.',
  '× bare Nest (Express) and × bare Nest (Fastify) divide a row’s req/s by each bare Nest’s measured right around it (a round of each just before and just after, averaged): a machine that slows down during the run slows a row and its references alike. A reference row itself shows 1.00 against its own framework.',
  'CPU µs/req is the serving process’s user + system time over the measured rounds divided by its responses (rows straight to one process only); busy neighbours move it less than req/s.',
];

/** A reference's req/s around one row (the mean of its rounds just before and after). */
interface Around {
  express: number;
  fastify: number;
}

/** A measured row and both bare Nests' req/s around it. */
type Measured = [Scenario, Measurement, Around];

/** The rows that are a reference themselves: their ratio to their own framework is 1. */
const REFERENCE_OF: Record<keyof Around, string> = {
  express: 'bare-nest',
  fastify: 'bare-nest-fastify',
};

/** Ratios once every row is in: to bare Nest around each row, and to the row it compares with. */
function toRows(measured: Measured[]): Row[] {
  const rateOf = (id?: string) =>
    measured.find(([scenario]) => scenario.id === id)?.[1].requestsPerSecond
      .median ?? NaN;
  return measured.map(([scenario, measurement, around]) => {
    const median = measurement.requestsPerSecond.median;
    const compared = measured.find(
      ([other]) => other.id === scenario.compareWith,
    )?.[0];
    return {
      id: scenario.id,
      group: scenario.group,
      label: scenario.label,
      via: scenario.via,
      note: scenario.note,
      measurement,
      bareNestAround: around.express,
      ratioToBareNest:
        scenario.id === REFERENCE_OF.express
          ? 1
          : ratio(median, around.express),
      bareNestFastifyAround: around.fastify,
      ratioToBareNestFastify:
        scenario.id === REFERENCE_OF.fastify
          ? 1
          : ratio(median, around.fastify),
      comparison: compared && {
        with: compared.id,
        label: `${compared.label} · ${compared.via}`,
        ratio: ratio(median, rateOf(compared.id)),
      },
    };
  });
}

/**
 * Which code was measured: the commit, how many files differ from it, and when dist/ (what
 * actually runs) was built — a bench of a working tree says so.
 */
function sourceState(): BenchReport['source'] {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  const builtAt = BUILT_APPS.map((app) => statSync(entryPointOf(app)).mtimeMs);
  return {
    commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
    uncommittedFiles: git('status', '--porcelain').split('\n').filter(Boolean)
      .length,
    distBuiltAt: new Date(Math.max(...builtAt)).toISOString(),
  };
}

async function main(processes: OwnProcesses): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: join(ROOT, 'reports') },
      'skip-build': { type: 'boolean', default: false },
      rows: { type: 'string' },
    },
  });
  preflight('npm run bench', ['redis-server']);
  const quick = values.quick;
  const plan = PLANS[quick ? 'quick' : 'full'];
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = loadavg();
  const progress = (line: string) =>
    console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

  if (!values['skip-build']) ensureBuilt(progress);
  const install = measureInstallSize();
  progress(
    `image contents measured: bundles ${Object.values(install.bundleBytes)
      .map((bytes) => megabytes(bytes))
      .join(' / ')} (unbundled: ${megabytes(install.totalBytes)})`,
  );
  const jwtCost = await measureJwtCost(quick ? 300 : 1000);
  progress(
    `JWT verify: ${jwtCost.map((cost) => `${cost.alg} ${cost.verifyMicroseconds.toFixed(0)} µs`).join(', ')}`,
  );

  progress(
    `booting the stack (Redis, ${DEPLOYMENT_NAMES.join(', ')} ×1, gateway)`,
  );
  // --rows a,b: only those rows (the bare-Nest reference with them), `conversation` and/or
  // `startup` — e.g. to rerun one while tuning. Without --rows: everything.
  const only = values.rows?.split(',').filter(Boolean);
  const throughputRows = only?.filter(
    (id) => !MEASUREMENTS_OF_THEIR_OWN.includes(id),
  );
  const runRows = !throughputRows || throughputRows.length > 0;
  // The baselines start while the stack boots: neither is timed, and start-ups are timed after.
  // Only the throughput rows need them.
  const [stack, baselines] = await Promise.all([
    BenchStack.start(processes).then((running) => {
      stopStack = () => running.stop();
      return running;
    }),
    runRows
      ? Promise.all([
          startBaseline('node-http', processes),
          startBaseline('nest', processes),
          startBaseline('nest-fastify', processes),
        ]).then(([nodeHttp, nest, nestFastify]) => ({
          'node-http': nodeHttp,
          nest,
          'nest-fastify': nestFastify,
        }))
      : undefined,
  ]);
  const startup =
    !only || only.includes(STARTUP)
      ? await measureStartups(DEPLOYMENT_NAMES, quick ? 3 : 5, stack, processes)
      : [];
  if (startup.length)
    progress(
      `start-up: ${startup.map((s) => `${s.app} ${s.medianMs.toFixed(0)} ms`).join(', ')}`,
    );
  // The same order build on Express: the framework's cost apart from the state's.
  const orderOnExpress = baselines
    ? await startOrderOnExpress(
        stack,
        join(logDirectory, 'order-express.log'),
        processes,
      )
    : undefined;
  const baselineServers = [
    ...Object.values(baselines ?? {}),
    ...(orderOnExpress ? [orderOnExpress] : []),
  ];
  const idle = await memorySnapshot(stack, baselineServers);

  let conversations: ConversationReport | undefined;
  // First, while every app has one pod (the scale-out rows add order replicas).
  if (!only || only.includes(CONVERSATION)) {
    conversations = await measureConversations(
      stack,
      plan.conversation,
      progress,
    );
  }
  const measured =
    baselines && orderOnExpress
      ? await measureRows(
          stack,
          { baselines, orderOnExpress },
          plan,
          progress,
          throughputRows,
        )
      : [];
  const rows = toRows(measured);
  const afterLoad = await memorySnapshot(stack, baselineServers);
  let denylistCost: BenchReport['denylistCost'];
  if (!only || only.includes(DENYLIST_COST)) {
    progress('denylist cost: two order pods, with and without, in turn');
    denylistCost = await measureDenylistCost(
      stack,
      processes,
      logDirectory,
      await login(await stack.podUrl('auth'), READER.username, READER.password),
      plan,
      quick ? 4 : 8,
    );
    progress(formatDenylistCost(denylistCost));
  }
  let refreshTraffic: BenchReport['refreshTraffic'];
  if (!only || only.includes(REFRESH_TRAFFIC)) {
    const [auth] = await stack.pods('auth');
    refreshTraffic = await measureRefreshTraffic(
      await stack.podUrl('auth'),
      auth.pid as number,
      READER,
      quick ? 200 : 1000,
    );
    progress(formatRefreshTraffic(refreshTraffic));
  }

  const report: BenchReport = {
    schemaVersion: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    durationSeconds: (performance.now() - started) / 1000,
    quick,
    plan,
    source: sourceState(),
    machine: {
      node: process.version,
      cpus: cpus().length,
      loadAverageAtStart,
      loadAverageAtEnd: loadavg(),
    },
    rows,
    conversations,
    footprint: {
      startup,
      memory: memorySamples(idle, afterLoad),
      install,
    },
    jwtCost,
    ...(denylistCost ? { denylistCost } : {}),
    ...(refreshTraffic ? { refreshTraffic } : {}),
    caveats: CAVEATS,
  };
  const written = writeReports(report, values.out);
  const tables = [
    rows.length ? formatTable(rows) : '',
    conversations ? formatConversations(conversations) : '',
    formatFootprint(report),
  ].filter(Boolean);
  console.log(`\n${tables.join('\n\n')}\n`);
  console.log(`reports: ${written.json}\n         ${written.html}`);
  const load = (averages: number[]) =>
    averages.map((value) => value.toFixed(1)).join(' ');
  console.log(
    `bench finished in ${report.durationSeconds.toFixed(0)} s; load average ${load(loadAverageAtStart)} → ${load(report.machine.loadAverageAtEnd)} on ${report.machine.cpus} CPUs; commit ${report.source.commit} + ${report.source.uncommittedFiles} uncommitted file(s), dist/ built ${report.source.distBuiltAt}`,
  );
}

/** The autocannon rows (all, or those `--rows` names), each between two bare-Nest rounds. */
async function measureRows(
  stack: BenchStack,
  {
    baselines,
    orderOnExpress,
  }: {
    baselines: Record<'node-http' | 'nest' | 'nest-fastify', RunningServer>;
    orderOnExpress: RunningServer;
  },
  plan: BenchPlan,
  progress: (line: string) => void,
  only?: string[],
): Promise<Measured[]> {
  const { nest, 'nest-fastify': nestFastify } = baselines;
  const measured: Measured[] = [];
  const fixtures = await prepareFixtures(stack, baselines, orderOnExpress);
  const all = scenarios(fixtures, stack);
  // A row named by --rows brings the row it is compared with.
  const wanted = new Set(
    only &&
      all
        .filter((scenario) => only.includes(scenario.id))
        .flatMap((scenario) => [scenario.id, scenario.compareWith ?? '']),
  );
  // Both bare-Nest references come with any row.
  const references: string[] = Object.values(REFERENCE_OF);
  const selected = all.filter(
    (scenario) =>
      !only || references.includes(scenario.id) || wanted.has(scenario.id),
  );
  // Warmed up like every row: a round on new connections right after another row's load read
  // ~15% lower than the bare-Nest row's own rounds, which would flatter every ratio.
  const referenceRound = async (url: string) =>
    (
      await measure(
        { url },
        {
          ...plan,
          rounds: 1,
          roundSeconds: plan.referenceSeconds,
          warmupSeconds: 1,
        },
      )
    ).requestsPerSecond.median;
  // Both frameworks' bare Nest around every row: a row reads against the one its app runs on,
  // and against the other, from the same minutes of the run.
  const referenceRounds = async (): Promise<Around> => ({
    express: await referenceRound(nest.url),
    fastify: await referenceRound(nestFastify.url),
  });
  let referencesBefore = await referenceRounds();
  for (const scenario of selected) {
    await scenario.prepare?.();
    const measurement = await measure(scenario.target, {
      ...plan,
      connections: scenario.connections ?? plan.connections,
    });
    const referencesAfter = await referenceRounds();
    measured.push([
      scenario,
      measurement,
      {
        express: (referencesBefore.express + referencesAfter.express) / 2,
        fastify: (referencesBefore.fastify + referencesAfter.fastify) / 2,
      },
    ]);
    referencesBefore = referencesAfter;
    const { requestsPerSecond, latencyMs, errors, cpuMicrosecondsPerRequest } =
      measurement;
    const cpu =
      cpuMicrosecondsPerRequest === undefined
        ? ''
        : `, CPU ${cpuMicrosecondsPerRequest.toFixed(0)} µs/req`;
    progress(
      `${scenario.label} · ${scenario.via}: ${requestsPerSecond.median.toFixed(0)} req/s, p50 ${latencyMs.p50.toFixed(2)} ms, p99 ${latencyMs.p99.toFixed(2)} ms${cpu}, ${errors.total} errors`,
    );
  }
  return measured;
}

let stopStack: () => Promise<void> = async () => undefined;
const processes = new OwnProcesses();
// Logs of the pods the bench starts outside the stack (denylist-cost's order pods).
const logDirectory = mkdtempSync(join(tmpdir(), 'what-survives-bench-logs-'));
const cleanUp = async () => {
  await stopStack().catch(() => undefined);
  await processes.stopAll();
  rmSync(logDirectory, { recursive: true, force: true });
};

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping every process the bench started...`);
    void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}
// Synchronous last resort (e.g. process.exit from elsewhere): nothing of ours outlives us.
process.on('exit', () => processes.killAllNow());

main(processes)
  .then(cleanUp, async (error: Error) => {
    console.error(`bench: ${error.message}`);
    await cleanUp();
    process.exitCode = 1;
  })
  .then(() => process.exit());

/**
 * `npm run test:image`: builds the Dockerfile for every app with podman and runs each image the
 * way the Kubernetes manifests run it, checking what most often breaks pod kills in a real
 * cluster: PID 1 not being node, a root user, a filesystem the app silently writes to. One line
 * per check; exits non-zero on any failure, or when podman cannot run here (and says why).
 * Every app is checked even after a failure, so one run shows everything that is wrong.
 * `--app order` (repeatable) limits the run to some apps.
 * Environment: IMAGE_SMOKE_DIR (where containers.conf and build logs go; default
 * $TMPDIR/what-survives-image).
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import {
  workloadsOf,
  ensureDevSecrets,
  renderKustomization,
} from '../k8s-policy';
import {
  BUILT_APPS,
  bundleOf,
  ROOT,
  type BuiltApp,
} from '../build/ensure-built';
import { preflight } from '../preflight/preflight';
import { RedisServer } from '../process/redis-server';
import { ContainerRun, probe } from './container-run';
import {
  checkImageConfig,
  checkImageFiles,
  parseWalk,
  WALK_APP_SCRIPT,
  writesOutsideVolumes,
  type ImageConfig,
} from './image-checks';
import { appBuildArgs, lastLine, Podman, writeContainersConf } from './podman';
import { planRun, type RunPlan } from './run-plan';
import {
  ensureStandInBase,
  nodeImageOf,
  parseNodeImage,
} from './stand-in-base';

function selectedApps(): BuiltApp[] {
  const { values } = parseArgs({
    options: { app: { type: 'string', multiple: true } },
  });
  const unknown = (values.app ?? []).filter(
    (app) => !(BUILT_APPS as readonly string[]).includes(app),
  );
  if (unknown.length) {
    console.error(
      `unknown --app ${unknown.join(', ')} (apps: ${BUILT_APPS.join(', ')})`,
    );
    process.exit(2);
  }
  return values.app?.length ? (values.app as BuiltApp[]) : [...BUILT_APPS];
}
const APPS = selectedApps();

let failures = 0;
const idleRss: string[] = [];
const pass = (scope: string, text: string) =>
  console.log(`  PASS  ${scope.padEnd(12)} ${text}`);
const fail = (scope: string, text: string) => {
  failures++;
  console.log(`  FAIL  ${scope.padEnd(12)} ${text}`);
};
const check = (scope: string, problems: string[], ok: string) =>
  problems.length
    ? problems.forEach((problem) => fail(scope, problem))
    : pass(scope, ok);
const step = (text: string) => console.log(`\n== ${text}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const megabytes = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;

/** Stops with the reason in one line: podman cannot be used on this machine. */
function cannotRun(reason: string): never {
  console.error(`\nnpm run test:image cannot run here: ${reason}`);
  process.exit(2);
}

async function build(
  podman: Podman,
  app: BuiltApp,
  logDirectory: string,
): Promise<{ ms: number; ok: boolean }> {
  const started = Date.now();
  const log = join(logDirectory, `build-${app}.log`);
  const result = await podman.stream(
    appBuildArgs(app, `what-survives/${app}:smoke`),
    log,
  );
  const ms = Date.now() - started;
  if (result.code !== 0) {
    fail(
      app,
      `podman build --target ${app} failed after ${seconds(ms)}: ${lastLine(result.stdout)} (full log: ${log})`,
    );
    return { ms, ok: false };
  }
  pass(app, `image built in ${seconds(ms)} (log: ${log})`);
  return { ms, ok: true };
}

async function checkImage(
  podman: Podman,
  app: BuiltApp,
  plan: RunPlan,
  devDependencies: string[],
): Promise<number> {
  const image = `what-survives/${app}:smoke`;
  const [inspected] = JSON.parse(
    await podman.must(['image', 'inspect', image]),
  ) as { Config: ImageConfig; Size: number }[];
  // The one file the build leaves for each app: what CMD must run.
  const entryPoint = relative(ROOT, bundleOf(app));
  check(
    app,
    checkImageConfig(inspected.Config, { user: plan.user, entryPoint }),
    `image config: CMD ["node","${entryPoint}"] in exec form, USER ${inspected.Config.User}`,
  );
  const files = parseWalk(
    await podman.must([
      'run',
      '--rm',
      '--pull=never',
      '--network=none',
      image,
      'node',
      '-e',
      WALK_APP_SCRIPT,
    ]),
  );
  check(
    app,
    checkImageFiles(files, {
      user: plan.user,
      group: plan.group,
      devDependencies,
    }),
    `image files: ${files.length} under /app, no dev dependency, test, key or env file, none writable by uid ${plan.user}`,
  );
  return inspected.Size;
}

/**
 * One real request per app, so the image is known to serve, not only to answer its probes: the
 * routes, the JSON error shape, Redis and (auth) password hashing and signing in the image.
 */
async function realRequest(
  url: string,
  plan: RunPlan,
): Promise<{ description: string; problem?: string }> {
  const json = async (path: string, init?: RequestInit) => {
    const response = await fetch(`${url}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(5000),
    });
    return {
      status: response.status,
      body: (await response.json().catch(() => undefined)) as
        Record<string, unknown> | undefined,
    };
  };
  const app = plan.image.split('/')[1];
  if (app === 'auth') {
    const [username, password] = (plan.environment.AUTH_USERS ?? '')
      .split(',')[0]
      .split(':');
    const { status, body } = await json('/auth/login', {
      method: 'POST',
      body: JSON.stringify({ username, password }),
    });
    const ok = status === 200 && typeof body?.access_token === 'string';
    return {
      description: `POST /auth/login as ${username} → ${status} with an access token`,
      problem: ok ? undefined : `POST /auth/login → ${status}, no access token`,
    };
  }
  if (app === 'order') {
    const { status, body } = await json('/menu');
    const ok = status === 200 && Array.isArray(body?.items);
    return {
      description: `GET /menu → ${status} with ${(body?.items as unknown[] | undefined)?.length} items`,
      problem: ok ? undefined : `GET /menu → ${status}`,
    };
  }
  const prefix = plan.environment.ROUTE_PREFIX ?? '/cart';
  const { status, body } = await json(prefix);
  const ok = status === 401 && body?.statusCode === 401;
  return {
    description: `GET ${prefix} without a session → ${status} JSON error`,
    problem: ok
      ? undefined
      : `GET ${prefix} without a session → ${status} ${JSON.stringify(body)}`,
  };
}

/** Read-only root, as the manifests: probes, PID 1, user, then a SIGTERM and its aftermath. */
async function checkRun(
  podman: Podman,
  app: BuiltApp,
  plan: RunPlan,
  environment: Record<string, string>,
): Promise<number | undefined> {
  const scope = plan.workload;
  const started = Date.now();
  const run = await ContainerRun.start(
    podman,
    plan,
    `what-survives/${app}:smoke`,
    {
      environment,
    },
  );
  try {
    const ready = await run.waitReady(plan.startupBudgetSeconds * 1000);
    const readyMs = Date.now() - started;
    if (!ready) {
      fail(
        scope,
        `not live and ready within the startupProbe budget (${plan.startupBudgetSeconds} s) on a read-only root filesystem; last log lines:\n${await run.logs()}`,
      );
      return undefined;
    }
    pass(
      scope,
      `${plan.livenessPath} and ${plan.readinessPath} answer 200, ${seconds(readyMs)} after podman run (root filesystem read-only, ${plan.volumes.map((volume) => volume.mountPath).join(', ')} mounted)`,
    );

    const served = await realRequest(run.url, plan).catch((error: Error) => ({
      description: '',
      problem: error.message,
    }));
    check(
      scope,
      served.problem
        ? [`${served.problem}; last log lines:\n${await run.logs()}`]
        : [],
      served.description,
    );

    const argv = (await run.exec(['cat', '/proc/1/cmdline']))
      .split('\0')
      .filter(Boolean);
    const status = await run.exec(['cat', '/proc/1/status']);
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    check(
      scope,
      argv[0] === 'node' || argv[0]?.endsWith('/node')
        ? []
        : [
            `PID 1 is ${JSON.stringify(argv)}, not node: SIGTERM goes to it and never reaches the app`,
          ],
      `PID 1 is ${argv.join(' ')}`,
    );
    check(
      scope,
      uid === String(plan.user)
        ? []
        : [`PID 1 runs as uid ${uid}, the manifests say ${plan.user}`],
      `PID 1 runs as uid ${uid} (non-root)`,
    );

    // The idle footprint, under the manifests' limits: what the memory request must cover.
    const rssMiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
    const request = plan.memoryRequestMiB;
    check(
      scope,
      request !== undefined && rssMiB > request
        ? [
            `idle RSS ${rssMiB.toFixed(0)} MiB exceeds the memory request ${request} Mi: the scheduler would overcommit the node`,
          ]
        : [],
      `idle RSS ${rssMiB.toFixed(0)} MiB (request ${request ?? '-'} Mi, limit ${plan.memoryLimitMiB ?? '-'} Mi, ${plan.cpuLimit ?? '-'} CPU)`,
    );
    idleRss.push(`${plan.workload} ${rssMiB.toFixed(0)} MiB`);

    const stop = await run.stopGracefully();
    const grace = plan.terminationGracePeriodSeconds;
    // podman sends SIGTERM at once; in the pod the preStop sleep has used part of the grace.
    const budgetMs = (grace - plan.preStopSleepSeconds) * 1000;
    const problems: string[] = [];
    if (stop.exitCode !== 0)
      problems.push(
        `exited ${stop.exitCode} on SIGTERM${stop.exitCode === 137 ? ' (SIGKILLed at the end of the grace period: SIGTERM was ignored or the drain hangs)' : ''}`,
      );
    if (stop.elapsedMs >= budgetMs)
      problems.push(
        `took ${seconds(stop.elapsedMs)} to exit after SIGTERM: more than terminationGracePeriodSeconds ${grace} minus the preStop sleep ${plan.preStopSleepSeconds} s`,
      );
    if (stop.notReadyAfterMs === undefined)
      problems.push(
        `${plan.readinessPath} never answered 503 between SIGTERM and exit`,
      );
    check(
      scope,
      problems,
      `podman stop (SIGTERM): ${plan.readinessPath} 503 after ${stop.notReadyAfterMs} ms, exit 0 after ${seconds(stop.elapsedMs)} (budget: grace ${grace} s - preStop ${plan.preStopSleepSeconds} s)`,
    );
    return readyMs;
  } finally {
    await run.remove();
  }
}

/** Writable root this once: whatever `podman diff` lists outside the volumes is a hidden write. */
async function checkWrites(
  podman: Podman,
  app: BuiltApp,
  plan: RunPlan,
  environment: Record<string, string>,
) {
  const scope = plan.workload;
  const run = await ContainerRun.start(
    podman,
    plan,
    `what-survives/${app}:smoke`,
    {
      environment,
      writableRoot: true,
    },
  );
  try {
    if (!(await run.waitReady(plan.startupBudgetSeconds * 1000))) {
      fail(scope, `not ready with a writable root filesystem either`);
      return;
    }
    // A little real traffic, so writes made on first use show up too.
    for (const path of ['/menu', '/metrics', plan.readinessPath])
      await probe(`${run.url}${path}`);
    // Stopped first: some writes only happen on the way out (caches flushed at exit).
    await run.stopGracefully();
    const writes = writesOutsideVolumes(
      await run.diff(),
      plan.volumes.map((volume) => volume.mountPath),
    );
    check(
      scope,
      writes.length
        ? [
            `writes outside the declared volumes: ${writes.slice(0, 6).join(', ')} (the manifests mount the root filesystem read-only)`,
          ]
        : [],
      'no file written outside the declared volumes (podman diff of a writable run)',
    );
  } finally {
    await run.remove();
  }
}

async function main() {
  // podman and runc run the images, debootstrap makes the stand-in base; the test Redis and
  // `kubectl kustomize` (the manifests' plan) run on the host.
  preflight('npm run test:image', [
    'podman',
    'runc',
    'debootstrap',
    'redis-server',
    'kubectl',
  ]);
  const started = Date.now();
  const workDirectory =
    process.env.IMAGE_SMOKE_DIR ?? join(tmpdir(), 'what-survives-image');
  mkdirSync(workDirectory, { recursive: true });

  step('podman');
  const configFile = writeContainersConf(workDirectory);
  // Inherited by every podman this process starts, the clean-up on Ctrl-C included.
  process.env.CONTAINERS_CONF = configFile;
  const podman = new Podman(configFile);
  const info = await podman.run([
    'info',
    '--format',
    '{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}} cgroups {{.Host.CgroupsVersion}} rootless={{.Host.Security.Rootless}}',
  ]);
  if (info.code !== 0) cannotRun(`podman info: ${lastLine(info.stderr)}`);
  const version = (await podman.must(['--version'])).trim();
  console.log(
    `${version}; ${info.stdout.trim()}; config ${workDirectory}/containers.conf`,
  );

  step('stand-in base image');
  const base = parseNodeImage(
    nodeImageOf(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')),
  );
  const baseStarted = Date.now();
  const made = await ensureStandInBase(podman, base, (line) =>
    console.log(`  ${line}`),
  );
  const smoke = await podman.run([
    'run',
    '--rm',
    '--pull=never',
    '--network=none',
    base.qualified,
    'node',
    '--version',
  ]);
  if (smoke.code !== 0)
    cannotRun(
      `podman cannot start a container: ${lastLine(smoke.stderr)} (needs root or user namespaces with /etc/subuid, and the runc runtime)`,
    );
  console.log(
    `${base.qualified} (${made === 'made' ? `made in ${seconds(Date.now() - baseStarted)}` : 'cached'}): node ${smoke.stdout.trim()}`,
  );

  step('manifests (k8s/overlays/dev, rendered by kubectl kustomize)');
  ensureDevSecrets();
  const objects = renderKustomization(join(ROOT, 'k8s', 'overlays', 'dev'));
  const plans = workloadsOf(objects)
    .map((workload) => planRun(workload, objects))
    .filter((plan) => plan.image.startsWith('what-survives/'));
  for (const plan of plans) {
    console.log(
      `  ${plan.workload.padEnd(12)} ${plan.image}: uid ${plan.user}:${plan.group}, ${plan.readOnlyRootFilesystem ? 'read-only root' : 'WRITABLE root'}, volumes ${plan.volumes.map((volume) => volume.mountPath).join(' ') || 'none'}, grace ${plan.terminationGracePeriodSeconds} s`,
    );
    plan.problems.forEach((problem) => fail(plan.workload, problem));
  }
  const planOf = (app: BuiltApp) =>
    plans.find((plan) => plan.image === `what-survives/${app}`);

  const devDependencies = Object.keys(
    (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
        devDependencies: Record<string, string>;
      }
    ).devDependencies,
  );

  step('build (podman build --pull=never --target <app>)');
  const built: Record<string, { ms: number; ok: boolean; size?: number }> = {};
  for (const app of APPS) built[app] = await build(podman, app, workDirectory);

  step('images');
  for (const app of APPS.filter((name) => built[name].ok)) {
    const plan = planOf(app);
    if (!plan) {
      fail(app, `no Deployment in the manifests runs what-survives/${app}`);
      continue;
    }
    built[app].size = await checkImage(podman, app, plan, devDependencies);
  }

  step('run as the manifests do (Redis: a test redis-server on the host)');
  const redis = await RedisServer.start({
    password: randomBytes(16).toString('hex'),
  });
  const environment = {
    REDIS_URL: `redis://:${redis.password}@host.containers.internal:${redis.port}`,
  };
  const readyTimes: string[] = [];
  try {
    for (const plan of plans) {
      const app = plan.image.split('/')[1] as BuiltApp;
      if (!APPS.includes(app) || !built[app]?.ok) continue;
      const readyMs = await checkRun(podman, app, plan, environment);
      if (readyMs !== undefined)
        readyTimes.push(`${plan.workload} ${seconds(readyMs)}`);
      await checkWrites(podman, app, plan, environment);
    }
  } finally {
    await redis.stop();
  }

  step('summary');
  const baseSize = JSON.parse(
    await podman.must(['image', 'inspect', base.qualified]),
  ) as { Size: number }[];
  for (const app of APPS) {
    const size = built[app].size;
    console.log(
      `  ${app.padEnd(6)} build ${seconds(built[app].ms).padStart(7)}   image ${size ? megabytes(size) : '?'} (base ${megabytes(baseSize[0].Size)} + app ${size ? megabytes(size - baseSize[0].Size) : '?'})`,
    );
  }
  if (readyTimes.length)
    console.log(`  podman run → ready: ${readyTimes.join(', ')}`);
  if (idleRss.length) console.log(`  idle RSS: ${idleRss.join(', ')}`);
  finish(started);
}

function finish(started: number) {
  console.log(
    `\n${failures === 0 ? 'all image checks passed' : `${failures} check(s) failed`} in ${seconds(Date.now() - started)}`,
  );
  process.exit(failures === 0 ? 0 : 1);
}

// Ctrl-C mid-run: remove the containers this run started (only those, by name), then exit.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    const names = [...ContainerRun.active];
    if (names.length)
      execFileSync('podman', ['rm', '--force', '--time', '0', ...names], {
        stdio: 'ignore',
      });
    process.exit(130);
  });

main().catch((error: Error) => {
  console.error(`\nnpm run test:image: ${error.message}`);
  process.exit(1);
});

/**
 * `npm start`: the whole system as real processes (no cluster, no Docker), in the foreground.
 * Environment: LAB_PORT (8080), REDIS_URL (else its own redis-server), AUTH_KEY_MODE,
 * LAB_REDIS (`single`, or `sentinel`: redis-0..2 + sentinel-0..2), LAB_LEGACY_AFFINITY (true), per-app counts LAB_REPLICAS_AUTH / _ORDER / _CART / _CART_LEGACY,
 * and LAB_NO_INSTALL=1 (the preflight installs no missing redis-server, only says how).
 * Ctrl-C (SIGINT) or SIGTERM stops everything it started.
 */
import { ensureBuilt } from '../build/ensure-built';
import { Dashboard } from '../dashboard/dashboard';
import { preflight } from '../preflight/preflight';
import { DEPLOYMENT_NAMES, type DeploymentName } from '../deployments';
import { DEMO_USERS, LocalStack } from './local-stack';
import { formatPodTable } from './pod-table';

function replicasFromEnvironment(): Partial<Record<DeploymentName, number>> {
  const replicas: Partial<Record<DeploymentName, number>> = {};
  for (const app of DEPLOYMENT_NAMES) {
    const value =
      process.env[`LAB_REPLICAS_${app.toUpperCase().replace('-', '_')}`];
    if (value === undefined) continue;
    const count = Number(value);
    if (!Number.isInteger(count) || count < 0) {
      console.error(
        `LAB_REPLICAS_${app.toUpperCase().replace('-', '_')} must be an integer ≥ 0`,
      );
      process.exit(2);
    }
    replicas[app] = count;
  }
  return replicas;
}

function redisModeFromEnvironment(): 'single' | 'sentinel' {
  const mode = process.env.LAB_REDIS ?? 'single';
  if (mode !== 'single' && mode !== 'sentinel') {
    console.error('LAB_REDIS must be single or sentinel');
    process.exit(2);
  }
  return mode;
}

async function main(): Promise<void> {
  // Before anything starts: the stack's own Redis needs redis-server (REDIS_URL: yours instead).
  preflight('npm start', process.env.REDIS_URL ? [] : ['redis-server']);
  const started = performance.now();
  ensureBuilt((line) => console.log(line));
  const labPort = Number(process.env.LAB_PORT ?? 8080);
  console.log('starting the local stack...');
  const stack = await LocalStack.start({
    labPort,
    redisUrl: process.env.REDIS_URL,
    redisMode: redisModeFromEnvironment(),
    authKeyMode: process.env.AUTH_KEY_MODE === 'per-pod' ? 'per-pod' : 'shared',
    legacyCartAffinity: process.env.LAB_LEGACY_AFFINITY !== 'false',
    replicas: replicasFromEnvironment(),
  });
  Dashboard.mount(stack);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\n${formatPodTable(stack.supervisor.listPods())}\n`);
  console.log(`all pods ready in ${seconds} s`);
  console.log(
    `entry point   ${stack.url}   (GET /menu, POST /auth/login, /orders, /cart, /legacy-cart)`,
  );
  console.log(
    `dashboard     ${stack.url}/_lab/ui   (open it: live pods, kill buttons, traffic, your carts)`,
  );
  console.log(
    `lab API       ${stack.url}/_lab/pods   ·   npm run lab -- get pods`,
  );
  console.log(
    `demo users    ${DEMO_USERS.replaceAll(',', ', ')} (user:password; set nothing else here)`,
  );
  console.log(`pod logs      ${stack.logDirectory}`);
  console.log(
    'next          npm run experiment   (in another shell: kill pods, see what survives)',
  );
  console.log('Ctrl-C stops everything.');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping every pod and the gateway...`);
    await stack.stop();
    console.log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // `npm start` runs us under npm and a shell; a SIGTERM to npm does not always reach us, but it
  // leaves us re-parented. Whoever started the stack is gone: stop rather than leave orphans.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop('parent exited');
  }, 500).unref();
}

main().catch((error: Error) => {
  console.error(`npm start: ${error.message}`);
  process.exit(1);
});

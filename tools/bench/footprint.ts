import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  BUILT_APPS,
  bundleOf,
  entryPointOf,
  ROOT,
  type BuiltApp,
} from '../build/ensure-built';
import { generateDevKey } from '../secrets/generate-dev-keys';
import { freePort } from '../lab/free-port';
import { deploymentOf, type DeploymentName } from '../deployments';
import { residentBytes, waitForHttp, type OwnProcesses } from './processes';
import type { RunningServer } from './servers';
import type { BenchStack } from './stack';
import { median } from './statistics';

export interface StartupTimes {
  app: DeploymentName;
  /** Spawn → first 200 from /healthz/ready, per start. */
  samplesMs: number[];
  medianMs: number;
}

export interface InstallSize {
  /** What each image holds of ours: one bundle per app (tools/build/bundle.ts), no node_modules. */
  bundleBytes: Record<BuiltApp, number>;
  distBytes: number;
  /** The `npm ci --omit=dev` tree: every package `npm ls --omit=dev` lists, nested ones apart. */
  productionDependencyBytes: number;
  productionPackages: number;
  totalBytes: number;
}

/**
 * The environment each app gets in the local stack (LocalStack.appTemplate), pointed at the
 * bench's running stack for Redis and the JWKS; nothing is fetched from auth at start-up. Only
 * auth reads `keysDirectory`.
 */
export function benchAppEnvironment(
  app: DeploymentName,
  stack: { url: string; redisUrl: string },
  keysDirectory = '',
): NodeJS.ProcessEnv {
  const common = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    SHUTDOWN_DRAIN_MS: '0',
    POD_NAME: `${app}-startup`,
    AUTH_ISSUER: `${stack.url}/auth`,
    AUTH_JWKS_URL: `${stack.url}/auth/.well-known/jwks.json`,
  };
  const secret = 'bench-startup-session-secret-0123456789abcdef';
  const perApp: Record<DeploymentName, Record<string, string>> = {
    auth: {
      REDIS_URL: stack.redisUrl,
      AUTH_KEYS_DIR: keysDirectory,
      AUTH_USERS: 'alice:alice,bob:bob',
    },
    order: { REDIS_URL: stack.redisUrl },
    cart: {
      REDIS_URL: stack.redisUrl,
      SESSION_STORE: 'redis',
      SESSION_SECRETS: secret,
      ORDER_URL: stack.url,
    },
    'cart-legacy': {
      SESSION_STORE: 'memory',
      SESSION_SECRETS: secret,
      ORDER_URL: stack.url,
    },
  };
  return { ...common, ...perApp[app] };
}

/**
 * Cold start of each app, one process at a time (starts in parallel would measure the fight for
 * two cores): from spawn to the first 200 of /healthz/ready, polled every 10 ms — what a
 * readiness probe with periodSeconds → 0 would see.
 */
export async function measureStartups(
  apps: readonly DeploymentName[],
  starts: number,
  stack: { url: string; redisUrl: string },
  processes: OwnProcesses,
): Promise<StartupTimes[]> {
  const keysDirectory = mkdtempSync(
    join(tmpdir(), 'what-survives-bench-keys-'),
  );
  generateDevKey(keysDirectory);
  try {
    const results: StartupTimes[] = [];
    for (const app of apps) {
      const image: BuiltApp = deploymentOf(app).image;
      const samplesMs: number[] = [];
      for (let index = 0; index < starts; index++) {
        const port = await freePort();
        const started = performance.now();
        const child = processes.spawn(process.execPath, [entryPointOf(image)], {
          env: {
            ...benchAppEnvironment(app, stack, keysDirectory),
            PORT: String(port),
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        // Kept quiet unless the app fails to start (cart-legacy warns about MemoryStore).
        let errorOutput = '';
        child.stderr?.on('data', (chunk: Buffer) => {
          errorOutput = (errorOutput + chunk.toString()).slice(-2000);
        });
        try {
          samplesMs.push(
            await waitForHttp(port, '/healthz/ready', started, 30_000, child),
          );
        } catch (error) {
          throw new Error(
            `${app} did not start: ${(error as Error).message}\n${errorOutput}`,
            { cause: error },
          );
        } finally {
          // Only the start-up is measured: no need to wait for a graceful shutdown.
          await processes.stop(child, 0);
        }
      }
      results.push({ app, samplesMs, medianMs: median(samplesMs) });
    }
    return results;
  } finally {
    rmSync(keysDirectory, { recursive: true, force: true });
  }
}

/** Bytes of the files under `directory`, leaving out nested node_modules (counted on their own). */
function directoryBytes(directory: string): number {
  let total = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') total += directoryBytes(path);
    } else if (entry.isFile()) {
      total += statSync(path).size;
    }
  }
  return total;
}

/**
 * What a production image holds: each app's bundle. For comparison, what it held before the
 * bundles: dist/ plus the production dependency tree, computed from
 * `npm ls --omit=dev --all --parseable` over the installed node_modules (no `npm ci` run).
 */
export function measureInstallSize(): InstallSize {
  let listing: string;
  try {
    listing = execFileSync(
      'npm',
      ['ls', '--omit=dev', '--all', '--parseable'],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
  } catch (error) {
    // npm ls exits 1 on a peer-dependency warning but still prints the tree.
    listing = (error as { stdout?: string }).stdout ?? '';
  }
  const packages = [
    ...new Set(listing.split('\n').map((line) => line.trim())),
  ].filter((path) => path && relative(ROOT, path).startsWith('node_modules'));
  const productionDependencyBytes = packages.reduce(
    (sum, path) => sum + directoryBytes(path),
    0,
  );
  const bundleBytes = Object.fromEntries(
    BUILT_APPS.map((app) => [app, statSync(bundleOf(app)).size]),
  ) as Record<BuiltApp, number>;
  // nest build's output alone (the bundles sit in dist/ too).
  const distBytes =
    directoryBytes(join(ROOT, 'dist')) -
    Object.values(bundleBytes).reduce((sum, bytes) => sum + bytes, 0);
  return {
    bundleBytes,
    distBytes,
    productionDependencyBytes,
    productionPackages: packages.length,
    totalBytes: distBytes + productionDependencyBytes,
  };
}

export interface MemorySample {
  process: string;
  pid: number | null;
  idleBytes: number | null;
  afterLoadBytes: number | null;
}

/** RSS per process at one moment, by a readable name (pod name and app, gateway, Redis, ...). */
export type Snapshot = Map<
  string,
  { pid: number | null; bytes: number | null }
>;

export async function memorySnapshot(
  stack: BenchStack,
  baselines: RunningServer[],
): Promise<Snapshot> {
  const snapshot: Snapshot = new Map();
  const add = (name: string, pid: number | null) =>
    snapshot.set(name, { pid, bytes: residentBytes(pid) });
  for (const pod of await stack.pods())
    add(`${pod.name} (${pod.app})`, pod.pid);
  add('gateway + supervisor (stack host)', stack.hostPid);
  add('redis', stack.redisPid);
  for (const server of baselines) add(`baseline ${server.name}`, server.pid);
  return snapshot;
}

export function memorySamples(idle: Snapshot, after: Snapshot): MemorySample[] {
  return [...new Set([...idle.keys(), ...after.keys()])].map((name) => ({
    process: name,
    pid: idle.get(name)?.pid ?? after.get(name)?.pid ?? null,
    idleBytes: idle.get(name)?.bytes ?? null,
    afterLoadBytes: after.get(name)?.bytes ?? null,
  }));
}

import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { entryPointOf, ROOT } from '../build/ensure-built';
import { freePort } from '../lab/free-port';
import { benchAppEnvironment } from './footprint';
import { waitForHttp, type OwnProcesses } from './processes';

/** `nest`: bare Nest on Express; `nest-fastify`: the same on Fastify (order's and auth's adapter). */
export type BaselineName = 'node-http' | 'nest' | 'nest-fastify';

export interface RunningServer {
  name: string;
  url: string;
  pid: number;
}

const PATHS: Record<BaselineName, string> = {
  'node-http': '/',
  nest: '/hello',
  'nest-fastify': '/hello',
};

/**
 * A baseline server in a child process of its own: in the bench's process it would share the
 * event loop (and the core) with the load generator, and no app under test does that.
 */
export async function startBaseline(
  name: BaselineName,
  processes: OwnProcesses,
): Promise<RunningServer> {
  const port = await freePort();
  const started = performance.now();
  const child = processes.spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'baselines', `${name}.ts`)],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PORT: String(port),
      },
      // An IPC channel only so that the server exits when the bench does, however it ends.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  // 60 s: three tsx baselines compile beside the stack booting, on a machine others load too.
  await waitForHttp(port, PATHS[name], started, 60_000, child);
  return {
    name,
    url: `http://127.0.0.1:${port}${PATHS[name]}`,
    pid: child.pid as number,
  };
}

/**
 * The same order build as the stack's pod, on Express (HTTP_ADAPTER, a bench-only switch), with
 * the pod's settings and its log written to a file as a lab pod writes it: next to the pod on
 * Fastify, the framework's cost apart from the app's. Cart runs on Express, so its "price of
 * state" rows compare with this one.
 */
export async function startOrderOnExpress(
  stack: { url: string; redisUrl: string },
  logFile: string,
  processes: OwnProcesses,
): Promise<RunningServer> {
  const port = await freePort();
  const started = performance.now();
  const log = openSync(logFile, 'a');
  const child = processes.spawn(process.execPath, [entryPointOf('order')], {
    cwd: ROOT,
    env: {
      ...benchAppEnvironment('order', stack),
      LOG_LEVEL: 'log',
      HOST: '127.0.0.1',
      POD_NAME: 'order-express',
      PORT: String(port),
      HTTP_ADAPTER: 'express',
      ORDER_RATE_LIMIT_MAX_ORDERS: '1000000000',
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  await waitForHttp(port, '/healthz/ready', started, 30_000, child);
  return {
    name: 'order-express',
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
  };
}

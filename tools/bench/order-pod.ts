import { openSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../lab/free-port';
import { benchAppEnvironment } from './footprint';
import { waitForHttp, type OwnProcesses } from './processes';
import type { BenchStack } from './stack';

/**
 * An order pod outside the stack's supervisor, against the stack's Redis and JWKS: another
 * commit's bundle (bench:compare) or the same bundle with other settings (the denylist row).
 * Its log goes to `<logDirectory>/<name>.log`, request lines included as in the local stack.
 */
export async function startOrderPod(
  bundle: string,
  name: string,
  stack: BenchStack,
  processes: OwnProcesses,
  logDirectory: string,
  environment: Record<string, string> = {},
): Promise<{ url: string; pid: number }> {
  const port = await freePort();
  const log = openSync(join(logDirectory, `${name}.log`), 'w');
  const started = performance.now();
  const child = processes.spawn(process.execPath, [bundle], {
    env: {
      ...benchAppEnvironment('order', stack),
      LOG_LEVEL: 'log',
      ...environment,
      POD_NAME: name,
      PORT: String(port),
    },
    stdio: ['ignore', log, log],
  });
  await waitForHttp(port, '/healthz/ready', started, 30_000, child);
  return { url: `http://127.0.0.1:${port}`, pid: child.pid as number };
}

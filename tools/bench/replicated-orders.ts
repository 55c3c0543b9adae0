/**
 * The cost of WAIT on POST /orders, in one run: a replica of the bench's Redis (started here,
 * `--replicaof`, with the cluster's AOF settings) and two order pods of the bench's own on that
 * Redis, the same in everything but ORDER_WAIT_REPLICAS (0 and 1). The stack's own order pod
 * and Redis stay as they are for the other rows; these start with the first of these rows.
 */
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { entryPointOf } from '../build/ensure-built';
import { freePort } from '../lab/free-port';
import { benchAppEnvironment } from './footprint';
import type { LoadTarget } from './measure';
import { waitForHttp, type OwnProcesses } from './processes';
import type { BenchStack } from './stack';

export type WaitSetting = 'off' | 'on';

/** Resolves once the primary at `redisUrl` counts one replica online. */
async function waitForReplica(redisUrl: string): Promise<void> {
  const client = createClient({ url: redisUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (let attempt = 0; attempt < 400; attempt++) {
      if ((await client.info('replication')).includes('state=online')) return;
      await sleep(25);
    }
    throw new Error('the bench replica did not come online within 10 s');
  } finally {
    client.destroy();
  }
}

async function startReplica(
  stack: BenchStack,
  processes: OwnProcesses,
): Promise<void> {
  const primaryPort = new URL(stack.redisUrl).port;
  // Redis 7 waits 5 s for more replicas before a first diskless sync: there is one.
  const primary = createClient({ url: stack.redisUrl });
  await primary.connect();
  await primary.configSet('repl-diskless-sync-delay', '0');
  primary.destroy();
  const directory = mkdtempSync(join(tmpdir(), 'what-survives-bench-replica-'));
  const replica = processes.spawn(
    'redis-server',
    [
      ...['--port', String(await freePort()), '--bind', '127.0.0.1'],
      ...['--dir', directory, '--replicaof', '127.0.0.1', primaryPort],
      ...['--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'],
    ],
    { stdio: 'ignore' },
  );
  replica.once('exit', () =>
    rmSync(directory, { recursive: true, force: true }),
  );
  await waitForReplica(stack.redisUrl);
}

async function startOrderPod(
  stack: BenchStack,
  processes: OwnProcesses,
  wait: WaitSetting,
): Promise<string> {
  const port = await freePort();
  const started = performance.now();
  const child = processes.spawn(process.execPath, [entryPointOf('order')], {
    env: {
      ...benchAppEnvironment('order', stack),
      POD_NAME: `order-wait-${wait}`,
      PORT: String(port),
      // As the stack's order pod: the row measures placing orders, not the limiter's 429s.
      ORDER_RATE_LIMIT_MAX_ORDERS: '1000000000',
      ORDER_HISTORY_LIMIT: '100000',
      ORDER_WAIT_REPLICAS: wait === 'on' ? '1' : '0',
      ORDER_WAIT_TIMEOUT_MS: '500',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForHttp(port, '/healthz/ready', started, 30_000, child);
  return `http://127.0.0.1:${port}`;
}

/**
 * The replica and both pods, started once (by whichever row comes first); `url(wait)` is the
 * pod of that setting.
 */
export class ReplicatedOrderPods {
  private started?: Promise<Record<WaitSetting, string>>;

  constructor(private readonly stack: BenchStack) {}

  /** Points `target` at the pod of `wait` (the row's target is filled in by its prepare). */
  async aim(target: LoadTarget, wait: WaitSetting): Promise<void> {
    this.started ??= (async () => {
      const { processes } = this.stack;
      await startReplica(this.stack, processes);
      return {
        off: await startOrderPod(this.stack, processes, 'off'),
        on: await startOrderPod(this.stack, processes, 'on'),
      };
    })();
    target.url = `${(await this.started)[wait]}/orders`;
  }
}

/**
 * The local stack, in a process of its own (spawned by stack.ts with an IPC channel). The
 * gateway runs inside LocalStack's process: hosting it here keeps it off the load generator's
 * event loop, as `npm start` keeps it off any client's.
 *
 * Redis is started here with the cluster's settings (k8s/base/redis: AOF, fsync every second),
 * not the lab's (fsync always, tuned for the kill experiment): writes cost what they cost in
 * production. One replica per app; the bench scales order itself through the lab API.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { perDeployment } from '../deployments';
import { freePort } from '../lab/free-port';
import { DEMO_USERS, LocalStack } from '../lab/local-stack';
import { redisPingProbe } from '../lab/probes';
import { CONVERSATION_USERS } from './conversation';
import { READER, type StackReady } from './stack';

async function startRedis(directory: string) {
  const port = await freePort();
  const redis = spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', directory],
      ...['--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'],
    ],
    { stdio: 'ignore' },
  );
  for (let attempt = 0; attempt < 200; attempt++) {
    if ((await redisPingProbe(port)) === 'ready') return { redis, port };
    await sleep(25);
  }
  redis.kill('SIGKILL');
  throw new Error('redis-server did not answer PING within 5 s');
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'what-survives-bench-'));
  const { redis, port } = await startRedis(directory);
  let stack: LocalStack | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await stack?.stop(3000).catch(() => undefined);
    redis.kill('SIGKILL'); // a scratch Redis: nothing in it is worth a clean shutdown
    rmSync(directory, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('message', (message) => message === 'stop' && void stop(0));
  // The bench is gone (even SIGKILLed): nobody will ask us to stop, so stop now.
  process.on('disconnect', () => void stop(0));
  process.on('SIGINT', () => void stop(130));
  process.on('SIGTERM', () => void stop(143));

  try {
    stack = await LocalStack.start({
      labPort: 0,
      redisUrl: `redis://127.0.0.1:${port}`,
      replicas: perDeployment(() => 1),
      // The conversation's talkers log in as themselves (password = name): their cart sessions
      // must not revoke alice's, which the cart rows use.
      users: [
        DEMO_USERS,
        `${READER.username}:${READER.password}`,
        ...CONVERSATION_USERS.map((name) => `${name}:${name}`),
      ].join(','),
      drainMs: 0,
      // The POST /orders row places tens of thousands of alice's orders in half a minute: it
      // measures placing an order (the limiter's count included), not the limiter's 429s.
      environment: { order: { ORDER_RATE_LIMIT_MAX_ORDERS: '1000000000' } },
    });
  } catch (error) {
    process.send?.({ type: 'error', message: (error as Error).message });
    return stop(1);
  }
  process.send?.({
    type: 'ready',
    url: stack.url,
    redisUrl: `redis://127.0.0.1:${port}`,
    redisPid: redis.pid as number,
  } satisfies StackReady);
}

if (!process.send)
  throw new Error('stack-host.ts is started by the bench (stack.ts), over IPC');
void main();

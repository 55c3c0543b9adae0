import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import type { TestRedisServer } from './redis-server';

/** One short-lived connection to `server`, closed after `use` whatever happens. */
export async function withRedis<T>(
  server: TestRedisServer,
  use: (client: ReturnType<typeof createClient>) => Promise<T>,
): Promise<T> {
  const client = createClient({ url: server.url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

/** Resolves once `primary` counts `replicas` replicas online (synced, streaming). */
export async function waitForReplicas(
  primary: TestRedisServer,
  replicas: number,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let info = '';
  while (Date.now() < deadline) {
    info = await withRedis(primary, (client) => client.info('replication'));
    if ((info.match(/state=online/g) ?? []).length >= replicas) return;
    await sleep(50);
  }
  throw new Error(
    `primary :${primary.port} has fewer than ${replicas} online replica(s) after ${timeoutMs} ms:\n${info}`,
  );
}

/** What Sentinel does to the replica it elects: `REPLICAOF NO ONE`, a primary from now on. */
export function promote(replica: TestRedisServer): Promise<unknown> {
  return withRedis(replica, (client) =>
    client.sendCommand(['REPLICAOF', 'NO', 'ONE']),
  );
}

import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, createSentinel, type RedisClientOptions } from 'redis';
import { counter } from '../observability/metrics';
import { withDeadline } from './with-deadline';

export type RedisSentinelClient = ReturnType<typeof createSentinel>;

export interface RedisNodeAddress {
  host: string;
  port: number;
}

export interface RedisSentinelClientOptions {
  /** The Sentinels to ask; one that answers is enough, the others are learnt from it. */
  sentinels: RedisNodeAddress[];
  /** The master name they monitor. */
  name: string;
  /** Credentials, database and TLS for the data nodes (host and port are the Sentinels' word). */
  url: string;
  /** How long start-up waits for a Sentinel to name a reachable primary. */
  initialConnectWaitMs?: number;
}

/** Everything of REDIS_URL but its address: who we are on every node the Sentinels name. */
function nodeOptionsFrom(url: string): RedisClientOptions {
  const parsed = new URL(url);
  const database = parsed.pathname.replace('/', '');
  return {
    ...(parsed.username
      ? { username: decodeURIComponent(parsed.username) }
      : {}),
    ...(parsed.password
      ? { password: decodeURIComponent(parsed.password) }
      : {}),
    ...(database ? { database: Number(database) } : {}),
    // As the single-node client: fail fast while the primary is away (the caller's 503).
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 1000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000),
      ...(parsed.protocol === 'rediss:' ? { tls: true as const } : {}),
    },
  } as RedisClientOptions;
}

/**
 * node-redis's Sentinel client: asks the Sentinels for the primary, sends every command there,
 * and follows a failover on its own (Sentinel's `+switch-master` pub/sub, and a rediscovery when
 * the primary drops or answers READONLY). One connection to the primary (masterPoolSize 1), so a
 * `WAIT` after a write waits for that write. No reads from replicas: they lag (asynchronous
 * replication), and a cart or an order read must see its own write.
 *
 * Unlike the single-node client it cannot serve before it knows the topology: if no Sentinel
 * names a reachable primary within `initialConnectWaitMs`, start-up fails in one line and the
 * kubelet (or the lab's supervisor) restarts the pod.
 */
export async function createRedisSentinelClient({
  sentinels,
  name,
  url,
  initialConnectWaitMs = 15_000,
}: RedisSentinelClientOptions): Promise<RedisSentinelClient> {
  const logger = new Logger('Redis');
  const where = `master "${name}" from Sentinels ${sentinels
    .map(({ host, port }) => `${host}:${port}`)
    .join(',')}`;
  const client = createSentinel({
    name,
    sentinelRootNodes: sentinels,
    nodeClientOptions: nodeOptionsFrom(url),
    sentinelClientOptions: { socket: { connectTimeout: 1000 } },
    masterPoolSize: 1,
    // Errors of the connection to the primary reach the 'error' listener below (counted, logged
    // once per outage); without it they would only be a 'client-error' event.
    passthroughClientErrorEvents: true,
  });
  const redisErrors = counter(
    'redis_errors_total',
    'Errors reported by the Redis client',
  );
  let reachable = true;
  // Without an 'error' listener a Sentinel or primary outage would crash the process.
  client.on('error', (error: unknown) => {
    redisErrors.inc();
    if (reachable)
      logger.warn(
        `Redis unreachable: ${error instanceof Error ? error.message : String(error)}`,
      );
    reachable = false;
  });
  client.on('topology-change', (event: { type: string; node?: unknown }) => {
    if (event.type !== 'MASTER_CHANGE') return;
    const node = event.node as RedisNodeAddress;
    logger.log(`Redis primary is now ${node.host}:${node.port} (${where})`);
    reachable = true;
  });
  try {
    const deadline = Date.now() + initialConnectWaitMs;
    await waitForPrimaryName(sentinels, name, deadline);
    await withDeadline(
      client.connect(),
      Math.max(1000, deadline - Date.now()),
      () => new Error(`no primary after ${initialConnectWaitMs} ms`),
    );
  } catch (error) {
    await client.destroy().catch(() => undefined);
    throw new Error(
      `Redis Sentinel: cannot reach the ${where}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return client;
}

/**
 * Until `deadline`: asks each Sentinel for the primary's address, resolving once one names it.
 * node-redis's own first connect retries for ~16 s and prints every failure with its stack;
 * asking first turns "nobody answers" and "no such master" into one line each.
 */
async function waitForPrimaryName(
  sentinels: RedisNodeAddress[],
  name: string,
  deadline: number,
): Promise<void> {
  let why = 'no Sentinel answered';
  while (Date.now() < deadline) {
    for (const { host, port } of sentinels) {
      const sentinel = createClient({
        socket: { host, port, connectTimeout: 1000, reconnectStrategy: false },
      });
      sentinel.on('error', () => undefined);
      try {
        await sentinel.connect();
        const address = await sentinel.sendCommand([
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          name,
        ]);
        if (Array.isArray(address)) return;
        why = `the Sentinels monitor no master named "${name}"`;
      } catch {
        // Unreachable, or not a Sentinel: try the next one.
      } finally {
        if (sentinel.isOpen) sentinel.destroy();
      }
    }
    await sleep(250);
  }
  throw new Error(why);
}

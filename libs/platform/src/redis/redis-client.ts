import { Logger } from '@nestjs/common';
import { createClient } from 'redis';
import { counter } from '../observability/metrics';
import type { RedisSentinelClient } from './redis-sentinel-client';

/** A client of one Redis node (REDIS_URL), or of whichever node the Sentinels name primary. */
export type RedisClient = ReturnType<typeof createClient> | RedisSentinelClient;

export interface RedisClientOptions {
  url: string;
  /** Time to wait for the first connection at start-up before serving anyway (requests then 503). */
  initialConnectWaitMs?: number;
}

/**
 * A node-redis client that fails fast while Redis is away (no offline queue: callers answer 503
 * at once instead of waiting), reconnects on its own with capped backoff, and logs each change
 * of reachability once instead of on every retry.
 */
export async function createRedisClient({
  url,
  initialConnectWaitMs = 2000,
}: RedisClientOptions): Promise<ReturnType<typeof createClient>> {
  const logger = new Logger('Redis');
  const client = createClient({
    url,
    // No per-command `timeout`: callers bound their calls with RedisDeadline (redis-deadline.ts).
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 1000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000),
    },
  });
  // Without an 'error' listener a Redis outage would crash the process.
  let reachable = true;
  const redisErrors = counter(
    'redis_errors_total',
    'Errors reported by the Redis client',
  );
  client.on('error', (error: Error) => {
    redisErrors.inc();
    if (reachable) logger.warn(`Redis unreachable: ${error.message}`);
    reachable = false;
  });
  client.on('ready', () => {
    if (!reachable) logger.log('Redis reachable again');
    reachable = true;
  });
  const connected = client.connect().catch(() => undefined);
  await Promise.race([
    connected,
    new Promise((resolve) => setTimeout(resolve, initialConnectWaitMs).unref()),
  ]);
  return client;
}

/** Closes gracefully (pending replies first), or drops the socket if Redis is unreachable. */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  await client.close().catch(() => client.destroy());
}

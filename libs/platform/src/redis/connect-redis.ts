import { Logger } from '@nestjs/common';
import type { RedisEnvironment } from '../config/platform-environment';
import { createRedisClient, type RedisClient } from './redis-client';
import { createRedisSentinelClient } from './redis-sentinel-client';

export type RedisTarget = Pick<
  RedisEnvironment,
  'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME'
>;

/**
 * The one place that reads how a service reaches Redis: through the Sentinels when
 * REDIS_SENTINELS is set (a primary that can fail over), else the one node REDIS_URL names.
 */
export function connectRedis(target: RedisTarget): Promise<RedisClient> {
  const sentinels = target.REDIS_SENTINELS ?? [];
  if (!sentinels.length) return createRedisClient({ url: target.REDIS_URL });
  new Logger('Redis').log(
    `through Sentinel: master "${target.REDIS_SENTINEL_NAME}" from ${sentinels.length} Sentinel(s)`,
  );
  return createRedisSentinelClient({
    sentinels,
    name: target.REDIS_SENTINEL_NAME,
    url: target.REDIS_URL,
  });
}

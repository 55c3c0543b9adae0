import { Logger, type Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { gauge, REDIS_CLIENT, type RedisClient } from '@app/platform';
import type { CartEnvironment } from '../config/cart-environment';
import { BoundedMemoryStore } from './bounded-memory-store';
import type { CartSessionStore, SessionLimits } from './cart-session-store';
import { RollingRedisStore } from './rolling-redis-store';

export const SESSION_STORE = Symbol('SESSION_STORE');
export const SESSION_REDIS = Symbol('SESSION_REDIS');
export const SESSION_KEY_PREFIX = 'sess:';

/** Whether this cart needs Redis: for its session store, or for the denylist of revoked tokens. */
export function cartNeedsRedis(
  config: ConfigService<CartEnvironment, true>,
): boolean {
  return (
    config.get('SESSION_STORE', { infer: true }) === 'redis' ||
    config.get('AUTH_REVOCATION', { infer: true }) === 'denylist'
  );
}

/**
 * The process's Redis client (libs/platform's RedisModule) when sessions are kept in Redis, or
 * null for the in-memory store, even where the denylist has a client.
 */
export const sessionRedisProvider: Provider = {
  provide: SESSION_REDIS,
  inject: [REDIS_CLIENT, ConfigService],
  useFactory: (
    redis: RedisClient | null,
    config: ConfigService<CartEnvironment, true>,
  ) =>
    config.get('SESSION_STORE', { infer: true }) === 'redis' ? redis : null,
};

/**
 * The only difference between `cart` and `cart-legacy`: where express-session keeps sessions.
 * The memory store keeps them in this process, so they die with the pod (and are invisible to
 * the other replicas); connect-redis keeps them in the shared Redis, so any replica can serve
 * them. Both keep at most SESSION_MAX_PER_USER sessions per user and forget idle ones.
 */
export const sessionStoreProvider: Provider = {
  provide: SESSION_STORE,
  inject: [SESSION_REDIS, ConfigService],
  useFactory: (
    redis: RedisClient | null,
    config: ConfigService<CartEnvironment, true>,
  ): CartSessionStore => {
    const limits: SessionLimits = {
      idleTimeoutSeconds: config.get('SESSION_IDLE_TIMEOUT_SECONDS', {
        infer: true,
      }),
      absoluteTimeoutSeconds: config.get('SESSION_ABSOLUTE_TIMEOUT_SECONDS', {
        infer: true,
      }),
      maxSessionsPerUser: config.get('SESSION_MAX_PER_USER', { infer: true }),
    };
    if (redis) return new RollingRedisStore(redis, SESSION_KEY_PREFIX, limits);
    new Logger('SessionStore').warn(
      'sessions are kept in process memory: they die with this pod (the legacy behaviour)',
    );
    const store = new BoundedMemoryStore(limits);
    gauge(
      'sessions_in_memory',
      'Sessions held in this process (memory store): at most SESSION_MAX_PER_USER per user, idle ones pruned',
      () => store.size,
    );
    return store;
  },
};

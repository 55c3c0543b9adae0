import { Logger, type Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import session, { type Store } from 'express-session';
import { createRedisClient, type RedisClient } from '@app/platform';
import type { CartEnvironment } from '../config/cart-environment';
import { RollingRedisStore } from './rolling-redis-store';

export const SESSION_STORE = Symbol('SESSION_STORE');
export const SESSION_REDIS = Symbol('SESSION_REDIS');
export const SESSION_KEY_PREFIX = 'sess:';

/** The Redis client behind the session store, or null for the in-memory store. */
export const sessionRedisProvider: Provider = {
  provide: SESSION_REDIS,
  inject: [ConfigService],
  useFactory: async (config: ConfigService<CartEnvironment, true>) =>
    config.get('SESSION_STORE', { infer: true }) === 'redis'
      ? createRedisClient({
          url: config.get('REDIS_URL', { infer: true }) as string,
        })
      : null,
};

/**
 * The only difference between `cart` and `cart-legacy`: where express-session keeps sessions.
 * MemoryStore keeps them in this process, so they die with the pod (and are invisible to the
 * other replicas); connect-redis keeps them in the shared Redis, so any replica can serve them.
 */
export const sessionStoreProvider: Provider = {
  provide: SESSION_STORE,
  inject: [SESSION_REDIS, ConfigService],
  useFactory: (
    redis: RedisClient | null,
    config: ConfigService<CartEnvironment, true>,
  ): Store => {
    if (redis)
      return new RollingRedisStore(
        redis,
        SESSION_KEY_PREFIX,
        config.get('SESSION_IDLE_TIMEOUT_SECONDS', { infer: true }),
      );
    new Logger('SessionStore').warn(
      'sessions are kept in process memory: they die with this pod (the legacy behaviour)',
    );
    return new session.MemoryStore();
  },
};

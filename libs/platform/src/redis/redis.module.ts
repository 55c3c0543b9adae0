import {
  Global,
  Inject,
  Module,
  OnApplicationShutdown,
  type DynamicModule,
  type Provider,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { RedisEnvironment } from '../config/platform-environment';
import { RedisDeadline } from './redis-deadline';
import { connectRedis } from './connect-redis';
import { closeRedisClient, type RedisClient } from './redis-client';

/** The process's one Redis client; null only under `RedisModule.optional` when not needed. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/** Whether this configuration needs Redis, read from the app's validated config. */
type RedisNeed<Environment> = (
  config: ConfigService<Environment, true>,
) => boolean;

function redisClientProvider<Environment>(
  isNeeded: RedisNeed<Environment>,
): Provider {
  return {
    provide: REDIS_CLIENT,
    inject: [ConfigService],
    useFactory: (config: ConfigService<RedisEnvironment, true>) =>
      // The same ConfigService, seen through the app's own schema.
      isNeeded(config as unknown as ConfigService<Environment, true>)
        ? connectRedis({
            REDIS_URL: config.get('REDIS_URL', { infer: true }),
            REDIS_SENTINELS: config.get('REDIS_SENTINELS', { infer: true }),
            REDIS_SENTINEL_NAME: config.get('REDIS_SENTINEL_NAME', {
              infer: true,
            }),
          })
        : null,
  };
}

/**
 * One shared client per process, closed last on shutdown (after in-flight requests), and the
 * deadline every call to it gets. Imported as is, the app needs Redis in every configuration.
 */
@Global()
@Module({
  providers: [redisClientProvider(() => true), RedisDeadline],
  exports: [REDIS_CLIENT, RedisDeadline],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS_CLIENT) private readonly client: RedisClient | null,
  ) {}

  /**
   * For an app that needs Redis in some configurations only (the cart: its Redis session store,
   * the denylist). Where `isNeeded` says no, nothing connects and REDIS_CLIENT is null.
   */
  static optional<Environment>(
    isNeeded: RedisNeed<Environment>,
  ): DynamicModule {
    return {
      module: RedisModule,
      providers: [redisClientProvider(isNeeded), RedisDeadline],
      exports: [REDIS_CLIENT, RedisDeadline],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client) await closeRedisClient(this.client);
  }
}

import {
  Global,
  Inject,
  Module,
  OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { RedisEnvironment } from '../config/platform-environment';
import { RedisDeadline } from './redis-deadline';
import { connectRedis } from './connect-redis';
import { closeRedisClient, type RedisClient } from './redis-client';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

const redisClientProvider: Provider = {
  provide: REDIS_CLIENT,
  inject: [ConfigService],
  useFactory: (config: ConfigService<RedisEnvironment, true>) =>
    connectRedis({
      REDIS_URL: config.get('REDIS_URL', { infer: true }),
      REDIS_SENTINELS: config.get('REDIS_SENTINELS', { infer: true }),
      REDIS_SENTINEL_NAME: config.get('REDIS_SENTINEL_NAME', { infer: true }),
    }),
};

/**
 * One shared client per process, closed last on shutdown (after in-flight requests), and the
 * deadline every call to it gets.
 */
@Global()
@Module({
  providers: [redisClientProvider, RedisDeadline],
  exports: [REDIS_CLIENT, RedisDeadline],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly client: RedisClient) {}

  onApplicationShutdown(): Promise<void> {
    return closeRedisClient(this.client);
  }
}

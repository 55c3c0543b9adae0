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
import {
  closeRedisClient,
  createRedisClient,
  type RedisClient,
} from './redis-client';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

const redisClientProvider: Provider = {
  provide: REDIS_CLIENT,
  inject: [ConfigService],
  useFactory: (config: ConfigService<RedisEnvironment, true>) =>
    createRedisClient({
      url: config.get('REDIS_URL', { infer: true }),
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

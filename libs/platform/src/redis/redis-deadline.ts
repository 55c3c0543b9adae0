import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { RedisEnvironment } from '../config/platform-environment';
import { withRedisDeadline } from './with-deadline';

/**
 * Every Redis call of a service, bounded by REDIS_COMMAND_TIMEOUT_MS: a hung Redis is a 503
 * after that long, never a hung request (node-redis's own command timeout is not used: see
 * withRedisDeadline).
 */
@Injectable()
export class RedisDeadline {
  readonly timeoutMs: number;

  constructor(config: ConfigService<RedisEnvironment, true>) {
    this.timeoutMs = config.get('REDIS_COMMAND_TIMEOUT_MS', { infer: true });
  }

  bound<T>(operation: Promise<T>): Promise<T> {
    return withRedisDeadline(operation, this.timeoutMs);
  }
}

import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { RedisEnvironment } from '../config/platform-environment';
import { TimeoutError } from 'redis';
import { withDeadline } from './with-deadline';

/**
 * Every Redis call of a service, bounded by REDIS_COMMAND_TIMEOUT_MS and failing as node-redis's
 * own TimeoutError: a hung Redis is a 503 after that long, like any outage, never a hung request.
 * Preferred to node-redis's per-command `timeout` option, which covers only commands not yet
 * written and allocates an AbortSignal with a timer for every command (~16 µs each on the bench
 * machine; 11% of GET /orders' CPU, tools/bench/README.md).
 */
@Injectable()
export class RedisDeadline {
  readonly timeoutMs: number;

  constructor(config: ConfigService<RedisEnvironment, true>) {
    this.timeoutMs = config.get('REDIS_COMMAND_TIMEOUT_MS', { infer: true });
  }

  bound<T>(operation: Promise<T>): Promise<T> {
    return withDeadline(operation, this.timeoutMs, () => new TimeoutError());
  }
}

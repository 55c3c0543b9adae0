import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import {
  counter,
  REDIS_CLIENT,
  RedisDeadline,
  takeRateLimitPoint,
  type RedisClient,
} from '@app/platform';
import type { OrderEnvironment } from '../config/order-environment';

const ordersRateLimited = counter(
  'orders_rate_limited_total',
  'Orders refused with 429: the user placed ORDER_RATE_LIMIT_MAX_ORDERS in the window',
);

export class TooManyOrdersException extends HttpException {
  constructor(
    maxOrders: number,
    windowSeconds: number,
    /** Read by the JSON exception filter: the Retry-After header. */
    readonly retryAfterSeconds: number,
  ) {
    super(
      `too many orders: at most ${maxOrders} per ${windowSeconds} s per user; retry in ${retryAfterSeconds} s`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Orders placed per user and window, counted in Redis so that every replica sees the same count
 * (N pods must not mean N times the orders). Counted before the order is placed, atomically (the
 * library's increment is one Lua script), so parallel requests cannot all slip under the limit.
 * Every attempt with a valid body counts, replays included: a client that retries faster than
 * the limit is told when to come back, and its replay is still there then.
 */
@Injectable()
export class OrderRateLimiter {
  private readonly limiter: RateLimiterRedis;
  private readonly maxOrders: number;
  private readonly windowSeconds: number;

  constructor(
    @Inject(REDIS_CLIENT) redis: RedisClient,
    config: ConfigService<OrderEnvironment, true>,
    private readonly deadline: RedisDeadline,
  ) {
    this.maxOrders = config.get('ORDER_RATE_LIMIT_MAX_ORDERS', { infer: true });
    this.windowSeconds = config.get('ORDER_RATE_LIMIT_WINDOW_SECONDS', {
      infer: true,
    });
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      useRedisPackage: true,
      keyPrefix: 'order:rate-limit',
      points: this.maxOrders,
      duration: this.windowSeconds,
    });
  }

  /**
   * Counts one order of `userId`; 429 once the window's orders are used up. Redis unreachable or
   * hung: its own error, which the exception filter answers with 503 like any Redis outage.
   */
  async consume(userId: string): Promise<void> {
    const retryAfterSeconds = await takeRateLimitPoint(
      this.deadline,
      this.limiter,
      userId,
    );
    if (retryAfterSeconds === undefined) return;
    ordersRateLimited.inc();
    throw new TooManyOrdersException(
      this.maxOrders,
      this.windowSeconds,
      retryAfterSeconds,
    );
  }
}

import { RateLimiterRes, type RateLimiterRedis } from 'rate-limiter-flexible';
import type { RedisDeadline } from './redis-deadline';

/**
 * Takes one point of `limiter` for `key`: atomically in Redis (the library's increment is one
 * script, so parallel requests cannot all slip under the limit) and bounded by the deadline.
 * Resolves to undefined when the point was taken, else to the whole seconds (at least 1) until
 * one is free again, a `Retry-After`. A Redis failure rejects as it is, for the caller's 503.
 */
export async function takeRateLimitPoint(
  deadline: RedisDeadline,
  limiter: RateLimiterRedis,
  key: string,
): Promise<number | undefined> {
  try {
    await deadline.bound(limiter.consume(key));
    return undefined;
  } catch (outcome) {
    if (!(outcome instanceof RateLimiterRes)) throw outcome;
    return Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
  }
}

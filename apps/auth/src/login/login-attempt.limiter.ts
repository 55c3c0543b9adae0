import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import {
  REDIS_CLIENT,
  RedisDeadline,
  takeRateLimitPoint,
  type RedisClient,
} from '@app/platform';
import type { AuthEnvironment } from '../config/auth-environment';

export class TooManyLoginAttemptsException extends HttpException {
  constructor(
    readonly retryAfterSeconds: number,
    scope: 'address' | 'account',
  ) {
    super(
      scope === 'account'
        ? `too many failed logins for this account; retry in ${retryAfterSeconds} s`
        : `too many failed logins; retry in ${retryAfterSeconds} s`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Login attempts counted in Redis, so that every replica sees the same counts (an in-memory
 * counter would give an attacker N times the attempts with N pods), against two limits:
 * - per user and client address (AUTH_LOGIN_MAX_FAILURES per AUTH_LOGIN_WINDOW_SECONDS): a
 *   user mistyping is slowed down where they are, without touching anyone else;
 * - per user from every address together (AUTH_LOGIN_ACCOUNT_MAX_FAILURES per
 *   AUTH_LOGIN_ACCOUNT_WINDOW_SECONDS, then blocked for AUTH_LOGIN_ACCOUNT_BLOCK_SECONDS):
 *   rotating client addresses buys a guesser nothing. The price: anyone can block an account
 *   for the block time by failing on purpose (README, "Login limits").
 * An attempt takes its point before the password is checked, in one atomic Redis step (the
 * limiter's INCR script), so of N parallel guesses at most the limit reach the check; a
 * successful login gives its point back, so only failures stay counted.
 */
@Injectable()
export class LoginAttemptLimiter {
  private readonly perAddress: RateLimiterRedis;
  private readonly perAccount: RateLimiterRedis;

  constructor(
    @Inject(REDIS_CLIENT) redis: RedisClient,
    config: ConfigService<AuthEnvironment, true>,
    private readonly deadline: RedisDeadline,
  ) {
    this.perAddress = new RateLimiterRedis({
      storeClient: redis,
      useRedisPackage: true,
      keyPrefix: 'auth:login-failures',
      points: config.get('AUTH_LOGIN_MAX_FAILURES', { infer: true }),
      duration: config.get('AUTH_LOGIN_WINDOW_SECONDS', { infer: true }),
    });
    this.perAccount = new RateLimiterRedis({
      storeClient: redis,
      useRedisPackage: true,
      keyPrefix: 'auth:login-account-failures',
      points: config.get('AUTH_LOGIN_ACCOUNT_MAX_FAILURES', { infer: true }),
      duration: config.get('AUTH_LOGIN_ACCOUNT_WINDOW_SECONDS', {
        infer: true,
      }),
      blockDuration: config.get('AUTH_LOGIN_ACCOUNT_BLOCK_SECONDS', {
        infer: true,
      }),
    });
  }

  /**
   * Counts this attempt, before the password is checked: 429 when either limit is spent.
   * Counting failures after the check instead is a race: every parallel guess would pass the
   * check before the first failure was recorded. The
   * account limit sees only attempts the address limit let through, so one address hammering
   * past its own limit does not also use up the account's.
   */
  async consumeAttempt(username: string, clientAddress: string): Promise<void> {
    await this.take(this.perAddress, key(username, clientAddress), 'address');
    await this.take(this.perAccount, username, 'account');
  }

  /**
   * The password was right: the address starts over (its owner is there), and the account gets
   * back this attempt's point only; failures others made against it from elsewhere still count.
   */
  async refundAttempt(username: string, clientAddress: string): Promise<void> {
    try {
      await this.deadline.bound(
        Promise.all([
          this.perAddress.delete(key(username, clientAddress)),
          this.perAccount.reward(username, 1),
        ]),
      );
    } catch {
      throw unavailable();
    }
  }

  /** One point of `limiter`, bounded by REDIS_COMMAND_TIMEOUT_MS; any store failure is a 503. */
  private async take(
    limiter: RateLimiterRedis,
    limiterKey: string,
    scope: 'address' | 'account',
  ): Promise<void> {
    let retryAfterSeconds: number | undefined;
    try {
      retryAfterSeconds = await takeRateLimitPoint(
        this.deadline,
        limiter,
        limiterKey,
      );
    } catch {
      throw unavailable();
    }
    if (retryAfterSeconds !== undefined)
      throw new TooManyLoginAttemptsException(retryAfterSeconds, scope);
  }
}

function key(username: string, clientAddress: string): string {
  return `${username}:${clientAddress}`;
}

function unavailable(): ServiceUnavailableException {
  return new ServiceUnavailableException(
    'login attempt store (Redis) is unavailable; try again',
  );
}

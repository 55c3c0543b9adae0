import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { REDIS_CLIENT, RedisDeadline, type RedisClient } from '@app/platform';
import type { AuthEnvironment } from '../config/auth-environment';

export class TooManyLoginAttemptsException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      `too many failed logins; retry in ${retryAfterSeconds} s`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Failed logins counted per user and client address, in Redis so that every replica sees the
 * same count (an in-memory counter would give an attacker N times the attempts with N pods).
 * Only failures count, so a user who logs in often is never locked out.
 */
@Injectable()
export class LoginAttemptLimiter {
  private readonly limiter: RateLimiterRedis;

  constructor(
    @Inject(REDIS_CLIENT) redis: RedisClient,
    config: ConfigService<AuthEnvironment, true>,
    private readonly deadline: RedisDeadline,
  ) {
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      useRedisPackage: true,
      keyPrefix: 'auth:login-failures',
      points: config.get('AUTH_LOGIN_MAX_FAILURES', { infer: true }),
      duration: config.get('AUTH_LOGIN_WINDOW_SECONDS', { infer: true }),
    });
  }

  async assertAllowed(username: string, clientAddress: string): Promise<void> {
    const state = await this.guard(() =>
      this.limiter.get(key(username, clientAddress)),
    );
    if (state && state.remainingPoints <= 0) {
      throw new TooManyLoginAttemptsException(
        Math.ceil(state.msBeforeNext / 1000),
      );
    }
  }

  async recordFailure(username: string, clientAddress: string): Promise<void> {
    try {
      await this.deadline.bound(
        this.limiter.consume(key(username, clientAddress)),
      );
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) return; // limit reached: the next attempt gets 429
      throw unavailable();
    }
  }

  async recordSuccess(username: string, clientAddress: string): Promise<void> {
    await this.guard(() => this.limiter.delete(key(username, clientAddress)));
  }

  /** Bounded by REDIS_COMMAND_TIMEOUT_MS; any failure is the store's 503. */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await this.deadline.bound(operation());
    } catch {
      throw unavailable();
    }
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

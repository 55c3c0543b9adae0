import { Inject, Injectable, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { REDIS_CLIENT, RedisDeadline, type RedisClient } from '@app/platform';
import {
  MAX_CLOCK_TOLERANCE_SECONDS,
  type AuthRevocationMode,
} from './identity-environment';

/** `auth:revoked:<jti>` = 1, next to auth's `auth:refresh:` and `auth:family:` keys. */
export const REVOKED_TOKEN_PREFIX = 'auth:revoked:';

/**
 * The denylist of AUTH_REVOCATION=denylist: auth writes a logged-out access token's `jti`, every
 * verifier reads it on every request (a cached verification included). With `none` it is off and
 * touches nothing. A Redis that cannot answer fails the request (503 from the exception filter):
 * fail-closed, because a revoked token accepted while Redis is away is exactly what the setting
 * exists to prevent.
 */
@Injectable()
export class RevokedAccessTokens {
  readonly enabled: boolean;

  constructor(
    config: ConfigService<{ AUTH_REVOCATION: AuthRevocationMode }, true>,
    @Optional() @Inject(REDIS_CLIENT) private readonly redis?: RedisClient,
    @Optional() private readonly deadline?: RedisDeadline,
  ) {
    this.enabled =
      config.get('AUTH_REVOCATION', { infer: true }) === 'denylist';
    if (this.enabled && !(redis && deadline))
      throw new Error('AUTH_REVOCATION=denylist needs REDIS_URL (a Redis)');
  }

  async isRevoked(jti: string): Promise<boolean> {
    if (!this.enabled) return false;
    return (
      (await this.bound(this.client.exists(REVOKED_TOKEN_PREFIX + jti))) > 0
    );
  }

  /**
   * Kept past `exp` by the largest clock tolerance a verifier may grant: a verifier still accepts
   * a token for that long after its `exp`, and the entry must outlive every such acceptance.
   */
  async revoke(jti: string, expiresAtSeconds: number): Promise<void> {
    if (!this.enabled) return;
    const until = expiresAtSeconds + MAX_CLOCK_TOLERANCE_SECONDS;
    if (until <= Math.floor(Date.now() / 1000)) return;
    await this.bound(
      this.client.set(REVOKED_TOKEN_PREFIX + jti, '1', { EXAT: until }),
    );
  }

  private get client(): RedisClient {
    return this.redis as RedisClient;
  }

  private bound<T>(operation: Promise<T>): Promise<T> {
    return (this.deadline as RedisDeadline).bound(operation);
  }
}

import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { AuthenticatedUser } from './access-token';
import { JwksKeySet } from './jwks-key-set';

/**
 * A verified token is remembered, by its whole compact form (signature included, so a changed
 * byte is a different token), for at most this long and never past its own `exp`: a client
 * sends the same token on every request for its 15-minute life, and a signature check costs far
 * more than the rest of a small request.
 */
export const VERIFIED_TOKEN_CACHE_MS = 60_000;
/** Bounds the memory: ~1 kB per entry at most. */
export const VERIFIED_TOKEN_CACHE_ENTRIES = 10_000;

/**
 * In front of the passport strategy: a hit skips passport and jsonwebtoken entirely. A
 * remembered token is honoured only while its signing key (`kid`) is still in the key set and
 * until its `exp` (+ the tolerance verification grants), so the cache never accepts what a fresh
 * verification would refuse. Only successful verifications are stored.
 */
@Injectable()
export class VerifiedTokenCache {
  private readonly verified = new LRUCache<
    string,
    { user: AuthenticatedUser; kid: string | undefined }
  >({
    max: VERIFIED_TOKEN_CACHE_ENTRIES,
    ttl: VERIFIED_TOKEN_CACHE_MS,
    // An entry's own ttl (up to its exp) is checked on every get, not only by a timer.
    ttlAutopurge: false,
  });

  constructor(private readonly keySet: JwksKeySet) {}

  get(token: string): AuthenticatedUser | undefined {
    const remembered = this.verified.get(token);
    return remembered && this.keySet.holds(remembered.kid)
      ? remembered.user
      : undefined;
  }

  /** `validUntilMs`: the last moment a fresh verification would still accept the token. */
  remember(
    user: AuthenticatedUser,
    kid: string | undefined,
    validUntilMs: number,
  ): void {
    const validForMs = validUntilMs - Date.now();
    if (validForMs > 0)
      this.verified.set(
        user.accessToken,
        { user, kid },
        { ttl: Math.min(validForMs, VERIFIED_TOKEN_CACHE_MS) },
      );
  }
}

import {
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  createRemoteJWKSet,
  errors,
  jwksCache,
  jwtVerify,
  type ExportedJWKSCache,
  type JWTPayload,
} from 'jose';
import { LRUCache } from 'lru-cache';
import { ACCESS_TOKEN_ALGORITHMS } from '@app/contracts';
import { counter } from '@app/platform';
import type { IdentityEnvironment } from './identity-environment';

export interface AuthenticatedUser {
  /** The `sub` claim: the user's stable id. */
  id: string;
  /** The raw bearer token, kept so a caller can act for the user (cart → order). */
  accessToken: string;
  claims: JWTPayload;
}

/** The token type auth sets in every access token header (RFC 9068), so no other JWT passes. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/**
 * A verified token is remembered, by its whole compact form (signature included, so a changed
 * byte is a different token), for at most this long and never past its own `exp`: a client
 * sends the same token on every request for its 15-minute life, and an EdDSA/ES256 signature
 * check costs far more than the rest of a small request. A remembered token is honoured only
 * while its signing key (`kid`) is still in the key set this verifier holds, so the cache never
 * accepts what a fresh verification would refuse: it only skips the signature arithmetic.
 */
export const VERIFIED_TOKEN_CACHE_MS = 60_000;
/** Bounds the memory: ~1 kB per entry at most. */
export const VERIFIED_TOKEN_CACHE_ENTRIES = 10_000;

/**
 * Verifies access tokens against auth's JWKS: keys fetched once and cached, refetched on an
 * unknown `kid` at most once per cooldown (so a forged `kid` cannot make us hammer auth),
 * algorithms pinned to the asymmetric ones auth uses, `iss`/`aud`/`typ` checked, `iat` required,
 * not in the future and at most AUTH_MAX_TOKEN_LIFETIME_SECONDS before `exp` (and so before now).
 * Successful verifications are cached (above); failures never are.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly keySet;
  /**
   * jose's own record of the key set it verifies with (`jwksCache`: filled on every successful
   * fetch), read instead of `keySet.jwks()`, which deep-copies the set on every call.
   */
  private readonly fetchedKeys: Partial<ExportedJWKSCache> = {};
  /** The `kid`s of `fetchedKeys.jwks`, recomputed only when jose has fetched a new set. */
  private kidsOfFetched?: {
    jwks: ExportedJWKSCache['jwks'];
    kids: Set<string | undefined>;
  };
  private readonly issuer: string;
  private readonly audience: string;
  private readonly clockTolerance: number;
  private readonly maxLifetime: number;
  private readonly verified = new LRUCache<
    string,
    { user: AuthenticatedUser; kid: string | undefined }
  >({
    max: VERIFIED_TOKEN_CACHE_ENTRIES,
    ttl: VERIFIED_TOKEN_CACHE_MS,
    // An entry's own ttl (up to its exp) is checked on every get, not only by a timer.
    ttlAutopurge: false,
  });

  constructor(config: ConfigService<IdentityEnvironment, true>) {
    this.keySet = createRemoteJWKSet(
      new URL(config.get('AUTH_JWKS_URL', { infer: true })),
      {
        cooldownDuration:
          config.get('AUTH_JWKS_COOLDOWN_SECONDS', { infer: true }) * 1000,
        cacheMaxAge: 10 * 60_000,
        timeoutDuration: 2000,
        [jwksCache]: this.fetchedKeys as ExportedJWKSCache,
      },
    );
    this.issuer = config.get('AUTH_ISSUER', { infer: true });
    this.audience = config.get('AUTH_AUDIENCE', { infer: true });
    this.clockTolerance = config.get('AUTH_CLOCK_TOLERANCE_SECONDS', {
      infer: true,
    });
    this.maxLifetime = config.get('AUTH_MAX_TOKEN_LIFETIME_SECONDS', {
      infer: true,
    });
  }

  async verify(token: string): Promise<AuthenticatedUser> {
    const remembered = this.verified.get(token);
    if (remembered && this.holdsKey(remembered.kid)) return remembered.user;
    try {
      const { payload, protectedHeader } = await jwtVerify(token, this.keySet, {
        algorithms: [...ACCESS_TOKEN_ALGORITHMS],
        issuer: this.issuer,
        audience: this.audience,
        typ: ACCESS_TOKEN_TYPE,
        clockTolerance: this.clockTolerance,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        // An `iat` in the future (beyond the tolerance) or older than the maximum life is refused.
        maxTokenAge: this.maxLifetime,
      });
      assertLifetimeWithin(payload, this.maxLifetime);
      // Frozen: the same object now answers every request that carries this token.
      const user: AuthenticatedUser = Object.freeze({
        id: payload.sub as string,
        accessToken: token,
        claims: Object.freeze(payload),
      });
      // Valid until exp (+ the tolerance jwtVerify grants), and never longer than the cache time.
      const validForMs =
        ((payload.exp as number) + this.clockTolerance) * 1000 - Date.now();
      if (validForMs > 0)
        this.verified.set(
          token,
          { user, kid: protectedHeader.kid },
          {
            ttl: Math.min(validForMs, VERIFIED_TOKEN_CACHE_MS),
          },
        );
      return user;
    } catch (error) {
      const httpError = this.toHttpError(error);
      verificationFailures.inc({ reason: failureReason(error) });
      throw httpError;
    }
  }

  /** Is this key still in the JWKS as last fetched (a rotated-out or lost key is not)? */
  private holdsKey(kid: string | undefined): boolean {
    const { jwks } = this.fetchedKeys;
    if (!jwks) return false;
    if (this.kidsOfFetched?.jwks !== jwks)
      this.kidsOfFetched = {
        jwks,
        kids: new Set(jwks.keys.map((key) => key.kid)),
      };
    return this.kidsOfFetched.kids.has(kid);
  }

  private toHttpError(error: unknown): Error {
    if (error instanceof errors.JWKSTimeout || isKeySetUnreachable(error)) {
      return new ServiceUnavailableException(
        'token signing keys are unavailable; try again',
      );
    }
    if (error instanceof errors.JWTExpired)
      return new UnauthorizedException('token expired');
    if (error instanceof errors.JWTClaimValidationFailed) {
      return new UnauthorizedException(`token claim rejected: ${error.claim}`);
    }
    if (error instanceof errors.JOSEAlgNotAllowed) {
      return new UnauthorizedException('token algorithm not allowed');
    }
    if (error instanceof errors.JWKSNoMatchingKey) {
      return new UnauthorizedException('token signed by an unknown key');
    }
    return new UnauthorizedException('invalid token');
  }
}

/**
 * `exp` and `iat` come from one issuer's clock, so no tolerance applies between them: a token
 * claiming a longer life than any auth issues was not minted by auth as configured.
 */
function assertLifetimeWithin(payload: JWTPayload, maxSeconds: number): void {
  if ((payload.exp as number) - (payload.iat as number) > maxSeconds) {
    throw new errors.JWTClaimValidationFailed(
      `"exp" claim is more than ${maxSeconds} s after "iat"`,
      payload,
      'exp',
      'check_failed',
    );
  }
}

const verificationFailures = counter(
  'jwt_verification_failures_total',
  'Bearer tokens rejected, by reason',
  ['reason'],
);

/** A small, fixed set of reasons: the metric's label values. */
function failureReason(error: unknown): string {
  if (error instanceof errors.JWKSTimeout || isKeySetUnreachable(error))
    return 'keys_unavailable';
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `claim_${error.claim}`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm';
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknown_key';
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return 'signature';
  return 'malformed';
}

/** A fetch of the JWKS that failed at the network level (auth down, DNS), not a bad token. */
function isKeySetUnreachable(error: unknown): boolean {
  return error instanceof TypeError && /fetch failed/i.test(error.message);
}

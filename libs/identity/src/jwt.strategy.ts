import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import {
  Strategy,
  type SecretOrKeyProvider,
  type StrategyOptionsWithRequest,
} from 'passport-jwt';
import { ACCESS_TOKEN_ALGORITHMS } from '@app/contracts';
import {
  ACCESS_TOKEN_TYPE,
  type AccessTokenClaims,
  type AuthenticatedUser,
} from './access-token';
import type { IdentityEnvironment } from './identity-environment';
import { JwksKeySet } from './jwks-key-set';
import { AlgorithmNotAllowed, TokenClaimRejected } from './token-rejection';
import { VerifiedTokenCache } from './verified-token.cache';

export function bearerTokenFrom(request: {
  headers: Request['headers'];
}): string | null {
  const [scheme, token] = (request.headers.authorization ?? '').split(' ');
  return scheme?.toLowerCase() === 'bearer' && token ? token : null;
}

/** The protected header, read before any key is chosen; null when it is not a JWS header. */
export function protectedHeaderOf(
  token: string,
): { alg?: unknown; kid?: unknown; typ?: unknown } | null {
  try {
    const header: unknown = JSON.parse(
      Buffer.from(token.split('.')[0], 'base64url').toString(),
    );
    return header && typeof header === 'object' ? header : null;
  } catch {
    return null;
  }
}

/**
 * Chooses the key by `kid` and refuses, before any signature arithmetic, a header that is not
 * ours: `typ` other than at+jwt, an algorithm outside the pinned list or other than the key's.
 * jsonwebtoken accepts a KeyObject (parsed once per kid) where passport-jwt's types say
 * string | Buffer.
 */
function keyProvider(keySet: JwksKeySet): SecretOrKeyProvider<Request> {
  return (_request, rawToken: string, done) => {
    const header = protectedHeaderOf(rawToken);
    if (!header) return done(new Error('malformed header'));
    if (header.typ !== ACCESS_TOKEN_TYPE)
      return done(new TokenClaimRejected('typ'));
    if (!(ACCESS_TOKEN_ALGORITHMS as readonly unknown[]).includes(header.alg))
      return done(new AlgorithmNotAllowed());
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    keySet.keyFor(kid).then(
      ({ alg, key }) =>
        alg === header.alg
          ? done(null, key as unknown as Buffer)
          : done(new AlgorithmNotAllowed()),
      (error: unknown) => done(error),
    );
  };
}

/**
 * passport-jwt over auth's JWKS: jsonwebtoken checks the signature with the pinned algorithms,
 * `iss`, `aud`, `exp`/`nbf` (with the clock tolerance) and, through `maxAge`, that `iat` is
 * present and at most AUTH_MAX_TOKEN_LIFETIME_SECONDS ago. `validate` adds what jsonwebtoken
 * does not check: `sub`, `exp`, `jti` required, `iat` not in the future, a claimed life
 * (`exp - iat`) within the maximum. A verified token is handed to the cache in front of passport.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly clockTolerance: number;
  private readonly maxLifetime: number;

  constructor(
    config: ConfigService<IdentityEnvironment, true>,
    keySet: JwksKeySet,
    private readonly cache: VerifiedTokenCache,
  ) {
    const clockTolerance = config.get('AUTH_CLOCK_TOLERANCE_SECONDS', {
      infer: true,
    });
    const maxLifetime = config.get('AUTH_MAX_TOKEN_LIFETIME_SECONDS', {
      infer: true,
    });
    const options: StrategyOptionsWithRequest = {
      jwtFromRequest: bearerTokenFrom,
      secretOrKeyProvider: keyProvider(keySet),
      algorithms: [...ACCESS_TOKEN_ALGORITHMS],
      issuer: config.get('AUTH_ISSUER', { infer: true }),
      audience: config.get('AUTH_AUDIENCE', { infer: true }),
      jsonWebTokenOptions: { clockTolerance, maxAge: maxLifetime },
      passReqToCallback: true,
    };
    super(options);
    this.clockTolerance = clockTolerance;
    this.maxLifetime = maxLifetime;
  }

  validate(request: Request, payload: AccessTokenClaims): AuthenticatedUser {
    for (const claim of ['sub', 'jti'] as const)
      if (typeof payload[claim] !== 'string')
        throw new TokenClaimRejected(claim);
    for (const claim of ['exp', 'iat'] as const)
      if (typeof payload[claim] !== 'number')
        throw new TokenClaimRejected(claim);
    const now = Math.floor(Date.now() / 1000);
    if (payload.iat > now + this.clockTolerance)
      throw new TokenClaimRejected('iat');
    // `exp` and `iat` come from one issuer's clock, so no tolerance applies between them.
    if (payload.exp - payload.iat > this.maxLifetime)
      throw new TokenClaimRejected('exp');
    const accessToken = bearerTokenFrom(request) as string;
    // Frozen: the same object now answers every request that carries this token.
    const user: AuthenticatedUser = Object.freeze({
      id: payload.sub,
      accessToken,
      claims: Object.freeze(payload),
    });
    const kid = protectedHeaderOf(accessToken)?.kid;
    this.cache.remember(
      user,
      typeof kid === 'string' ? kid : undefined,
      (payload.exp + this.clockTolerance) * 1000,
    );
    return user;
  }
}

import { HttpException, UnauthorizedException } from '@nestjs/common';
import {
  JsonWebTokenError,
  NotBeforeError,
  TokenExpiredError,
} from 'jsonwebtoken';
import { counter } from '@app/platform';
import { UnknownKeyError } from './jwks-key-set';

/** A check of ours (not jsonwebtoken's) refused a claim or header member: `reason` names it. */
export class TokenClaimRejected extends Error {
  constructor(readonly claim: string) {
    super(`token claim rejected: ${claim}`);
  }
}

export class AlgorithmNotAllowed extends Error {}

/** A valid token whose `jti` is on the denylist (logged out; AUTH_REVOCATION=denylist). */
export class TokenRevoked extends Error {}

const verificationFailures = counter(
  'jwt_verification_failures_total',
  'Bearer tokens rejected, by reason',
  ['reason'],
);

/**
 * What passport-jwt, jsonwebtoken or our own checks said, as the HTTP error the client gets
 * (a 401 naming the check, or the 503 of an unreachable key set), counted by reason.
 */
export function rejectionOf(cause: unknown): HttpException {
  const [reason, error] = classify(cause);
  verificationFailures.inc({ reason });
  return error;
}

function classify(cause: unknown): [string, HttpException] {
  if (cause instanceof TokenClaimRejected)
    return [`claim_${cause.claim}`, new UnauthorizedException(cause.message)];
  if (cause instanceof HttpException) {
    const status = cause.getStatus();
    return [status === 503 ? 'keys_unavailable' : 'malformed', cause];
  }
  if (cause instanceof TokenRevoked)
    return ['revoked', new UnauthorizedException('token revoked')];
  if (cause instanceof AlgorithmNotAllowed)
    return [
      'algorithm',
      new UnauthorizedException('token algorithm not allowed'),
    ];
  if (cause instanceof UnknownKeyError)
    return [
      'unknown_key',
      new UnauthorizedException('token signed by an unknown key'),
    ];
  // jsonwebtoken's errors: TokenExpiredError covers both `exp` and `maxAge` (iat too old).
  if (cause instanceof TokenExpiredError)
    return ['expired', new UnauthorizedException('token expired')];
  if (cause instanceof NotBeforeError)
    return [
      'claim_nbf',
      new UnauthorizedException('token claim rejected: nbf'),
    ];
  if (cause instanceof JsonWebTokenError) {
    const claim = /^jwt (issuer|audience) invalid/.exec(cause.message)?.[1];
    if (claim) {
      const name = claim === 'issuer' ? 'iss' : 'aud';
      return [
        `claim_${name}`,
        new UnauthorizedException(`token claim rejected: ${name}`),
      ];
    }
    if (/^iat required/.test(cause.message))
      return [
        'claim_iat',
        new UnauthorizedException('token claim rejected: iat'),
      ];
    if (cause.message === 'invalid signature')
      return ['signature', new UnauthorizedException('invalid token')];
    if (cause.message === 'invalid algorithm')
      return [
        'algorithm',
        new UnauthorizedException('token algorithm not allowed'),
      ];
  }
  return ['malformed', new UnauthorizedException('invalid token')];
}

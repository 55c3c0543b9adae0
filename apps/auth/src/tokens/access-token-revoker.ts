import { Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import {
  ACCESS_TOKEN_TYPE,
  protectedHeaderOf,
  RevokedAccessTokens,
  type AccessTokenClaims,
} from '@app/identity';
import type { AuthEnvironment } from '../config/auth-environment';
import { SigningKeysService } from '../keys/signing-keys.service';

/**
 * Logout's second half with AUTH_REVOCATION=denylist: the access token the client logs out with
 * (its bearer header) goes on the denylist until its `exp`. Only a token auth itself signed is
 * listed — checked with its own keys, expired or not — so nobody can fill Redis with made-up
 * `jti`s or far-off `exp`s. With `none` there is nothing to do: the token lives until `exp`.
 */
@Injectable()
export class AccessTokenRevoker {
  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
    private readonly revoked: RevokedAccessTokens,
    private readonly config: ConfigService<AuthEnvironment, true>,
  ) {}

  async revoke(accessToken: string | null): Promise<void> {
    if (!this.revoked.enabled || !accessToken) return;
    const claims = await this.verifiedClaims(accessToken);
    await this.revoked.revoke(claims.jti, claims.exp);
  }

  private async verifiedClaims(token: string): Promise<AccessTokenClaims> {
    const header = protectedHeaderOf(token);
    const key =
      header?.typ === ACCESS_TOKEN_TYPE && typeof header.kid === 'string'
        ? this.keys.publicKeyOf(header.kid)
        : undefined;
    if (!key || header?.alg !== key.alg)
      throw new UnauthorizedException('invalid access token');
    try {
      const claims = await this.jwt.verifyAsync<AccessTokenClaims>(token, {
        publicKey: key.key as unknown as Buffer,
        algorithms: [key.alg],
        issuer: this.config.get('AUTH_ISSUER', { infer: true }),
        audience: this.config.get('AUTH_AUDIENCE', { infer: true }),
        // An expired token needs no entry (revoke skips it), but is no reason to fail a logout.
        ignoreExpiration: true,
      });
      if (typeof claims.jti !== 'string' || typeof claims.exp !== 'number')
        throw new Error('claims');
      return claims;
    } catch {
      throw new UnauthorizedException('invalid access token');
    }
  }
}

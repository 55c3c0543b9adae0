import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { JwksKeySet } from './jwks-key-set';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { RevokedAccessTokens } from './revoked-access-tokens';
import { VerifiedTokenCache } from './verified-token.cache';

/**
 * Bearer-token authentication for an app: passport-jwt's strategy over auth's JWKS, the cache of
 * verified tokens in front of it, the denylist of logged-out tokens (AUTH_REVOCATION) and the guard
 * applied to every route.
 */
@Module({
  imports: [PassportModule.register({ session: false })],
  providers: [
    JwksKeySet,
    VerifiedTokenCache,
    RevokedAccessTokens,
    JwtStrategy,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
  ],
  exports: [JwksKeySet, VerifiedTokenCache, RevokedAccessTokens],
})
export class IdentityModule {}

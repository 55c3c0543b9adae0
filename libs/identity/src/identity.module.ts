import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessTokenVerifier } from './access-token.verifier';
import { BearerTokenGuard } from './bearer-token.guard';

/** Bearer-token authentication for an app: the verifier, and the guard applied to every route. */
@Module({
  providers: [
    AccessTokenVerifier,
    { provide: APP_GUARD, useClass: BearerTokenGuard },
  ],
  exports: [AccessTokenVerifier],
})
export class IdentityModule {}

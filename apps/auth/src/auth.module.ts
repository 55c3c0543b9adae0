import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { RevokedAccessTokens } from '@app/identity';
import {
  environmentConfigModule,
  HealthModule,
  ObservabilityModule,
  RedisModule,
} from '@app/platform';
import {
  authEnvironmentSchema,
  type AuthEnvironment,
} from './config/auth-environment';
import { SigningKeysModule } from './keys/signing-keys.module';
import { LoginAttemptLimiter } from './login/login-attempt.limiter';
import { AccessTokenIssuer } from './tokens/access-token.issuer';
import { AccessTokenRevoker } from './tokens/access-token-revoker';
import { RefreshTokenStore } from './tokens/refresh-token.store';
import { TokensController } from './tokens/tokens.controller';
import { UserDirectoryService } from './users/user-directory.service';

@Module({
  imports: [
    environmentConfigModule(authEnvironmentSchema),
    ObservabilityModule.forApp('auth'),
    HealthModule,
    RedisModule,
    SigningKeysModule,
    // The claims every access token shares, from the validated config; the key, its algorithm and
    // the header (kid, typ) are the active signing key's, set per token (AccessTokenIssuer).
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AuthEnvironment, true>) => ({
        signOptions: {
          issuer: config.get('AUTH_ISSUER', { infer: true }),
          audience: config.get('AUTH_AUDIENCE', { infer: true }),
          expiresIn: config.get('AUTH_ACCESS_TOKEN_TTL_SECONDS', {
            infer: true,
          }),
        },
      }),
    }),
  ],
  controllers: [TokensController],
  providers: [
    UserDirectoryService,
    LoginAttemptLimiter,
    AccessTokenIssuer,
    AccessTokenRevoker,
    RevokedAccessTokens,
    RefreshTokenStore,
  ],
})
export class AuthModule {}

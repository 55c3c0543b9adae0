import { Module } from '@nestjs/common';
import {
  environmentConfigModule,
  HealthModule,
  ObservabilityModule,
  RedisModule,
} from '@app/platform';
import { authEnvironmentSchema } from './config/auth-environment';
import { SigningKeysService } from './keys/signing-keys.service';
import { LoginAttemptLimiter } from './login/login-attempt.limiter';
import { AccessTokenIssuer } from './tokens/access-token.issuer';
import { RefreshTokenStore } from './tokens/refresh-token.store';
import { TokensController } from './tokens/tokens.controller';
import { UserDirectoryService } from './users/user-directory.service';

@Module({
  imports: [
    environmentConfigModule(authEnvironmentSchema),
    ObservabilityModule.forApp('auth'),
    HealthModule,
    RedisModule,
  ],
  controllers: [TokensController],
  providers: [
    SigningKeysService,
    UserDirectoryService,
    LoginAttemptLimiter,
    AccessTokenIssuer,
    RefreshTokenStore,
  ],
})
export class AuthModule {}

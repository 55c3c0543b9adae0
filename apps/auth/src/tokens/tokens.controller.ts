import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Ip,
  Post,
  Req,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';
import type { TokenResponse } from '@app/contracts';
import { bearerTokenFrom } from '@app/identity';
import { SigningKeysService } from '../keys/signing-keys.service';
import { LoginAttemptLimiter } from '../login/login-attempt.limiter';
import { UserDirectoryService } from '../users/user-directory.service';
import { AccessTokenIssuer } from './access-token.issuer';
import { AccessTokenRevoker } from './access-token-revoker';
import {
  loginRequestSchema,
  refreshTokenRequestSchema,
  type LoginRequest,
  type RefreshTokenRequest,
} from './dto/token-requests';
import { RefreshTokenStore } from './refresh-token.store';

@Controller('auth')
export class TokensController {
  constructor(
    private readonly users: UserDirectoryService,
    private readonly limiter: LoginAttemptLimiter,
    private readonly accessTokens: AccessTokenIssuer,
    private readonly refreshTokens: RefreshTokenStore,
    private readonly keys: SigningKeysService,
    private readonly revoker: AccessTokenRevoker,
  ) {}

  @Post('login')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  async login(
    @Body({ schema: loginRequestSchema }) { username, password }: LoginRequest,
    @Ip() clientAddress: string,
  ): Promise<TokenResponse> {
    await this.limiter.consumeAttempt(username, clientAddress);
    const userId = await this.users.authenticate(username, password);
    if (!userId)
      throw new UnauthorizedException('invalid username or password');
    await this.limiter.refundAttempt(username, clientAddress);
    return this.tokenResponse(
      userId,
      await this.refreshTokens.startFamily(userId),
    );
  }

  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  async refresh(
    @Body({ schema: refreshTokenRequestSchema })
    { refresh_token }: RefreshTokenRequest,
  ): Promise<TokenResponse> {
    const outcome = await this.refreshTokens.rotate(refresh_token);
    if (outcome.status === 'reused') {
      throw new UnauthorizedException(
        'refresh token reused; every session of this login is revoked',
      );
    }
    if (outcome.status !== 'rotated')
      throw new UnauthorizedException('invalid refresh token');
    // The successor was issued by the same atomic step that spent the token (refresh-token.store).
    return this.tokenResponse(outcome.userId, outcome.successor);
  }

  /**
   * Revokes the refresh token's family; with AUTH_REVOCATION=denylist also the access token in
   * the (optional) bearer header, which otherwise stays valid until its `exp` on every replica.
   */
  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  async logout(
    @Body({ schema: refreshTokenRequestSchema })
    { refresh_token }: RefreshTokenRequest,
    @Req() request: Request,
  ): Promise<void> {
    await this.revoker.revoke(bearerTokenFrom(request));
    await this.refreshTokens.revokeFamilyOf(refresh_token);
  }

  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks() {
    return this.keys.jwks;
  }

  private async tokenResponse(
    userId: string,
    refreshToken: string,
  ): Promise<TokenResponse> {
    return {
      access_token: await this.accessTokens.issue(userId),
      token_type: 'Bearer',
      expires_in: this.accessTokens.lifetimeSeconds,
      refresh_token: refreshToken,
    };
  }
}

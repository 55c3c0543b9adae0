import {
  Injectable,
  UnauthorizedException,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { IncomingHttpHeaders } from 'node:http';
import { IS_PUBLIC_KEY } from '@app/platform';
import type { AuthenticatedUser } from './access-token';
import { bearerTokenFrom } from './jwt.strategy';
import { RevokedAccessTokens } from './revoked-access-tokens';
import { SESSION_AUTHENTICATED_KEY } from './session-authenticated.decorator';
import { rejectionOf, TokenRevoked } from './token-rejection';
import { VerifiedTokenCache } from './verified-token.cache';

/** Express's request or Fastify's: the guard reads the headers and sets `user`, nothing else. */
export interface AuthenticatedRequest {
  headers: IncomingHttpHeaders;
  user?: AuthenticatedUser;
}

/**
 * Global guard: every route needs a valid bearer token unless marked `@Public()` (anyone may call
 * it) or `@SessionAuthenticated()` (its own guard checks the session). A token the
 * cache still vouches for skips passport; any other goes through the `jwt` strategy. Either way,
 * with AUTH_REVOCATION=denylist the token's `jti` is then looked up (the cache remembers a
 * signature check, never that a token was not revoked).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly cache: VerifiedTokenCache,
    private readonly revoked: RevokedAccessTokens,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.needsNoBearerToken(context)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerTokenFrom(request);
    if (!token) throw new UnauthorizedException('missing bearer token');
    const remembered = this.cache.get(token);
    if (remembered) request.user = remembered;
    else await super.canActivate(context);
    const user = request.user as AuthenticatedUser;
    if (this.revoked.enabled && (await this.revoked.isRevoked(user.claims.jti)))
      throw rejectionOf(new TokenRevoked());
    return true;
  }

  private needsNoBearerToken(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    return [IS_PUBLIC_KEY, SESSION_AUTHENTICATED_KEY].some((key) =>
      this.reflector.getAllAndOverride<boolean>(key, targets),
    );
  }

  override handleRequest<TUser = AuthenticatedUser>(
    error: unknown,
    user: TUser | false,
    info: unknown,
  ): TUser {
    if (error || !user) throw rejectionOf(error ?? info);
    return user;
  }
}

import {
  CanActivate,
  ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request } from 'express';
import type { CartEnvironment } from '../config/cart-environment';
import { CartSessions } from './cart-sessions.service';

/**
 * Cart routes need a logged-in session. Also enforces the absolute lifetime, which express-session
 * does not have (its cookie maxAge with `rolling` is only the idle timeout).
 */
@Injectable()
export class SessionGuard implements CanActivate {
  private readonly absoluteLifetimeMs: number;
  private readonly loginRoute: string;

  constructor(
    private readonly sessions: CartSessions,
    config: ConfigService<CartEnvironment, true>,
  ) {
    this.absoluteLifetimeMs =
      config.get('SESSION_ABSOLUTE_TIMEOUT_SECONDS', { infer: true }) * 1000;
    this.loginRoute = `POST ${config.get('ROUTE_PREFIX', { infer: true })}/login`;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const session = request.session;
    if (!session?.userId || !session.createdAt) {
      throw new UnauthorizedException(
        `no session; ${this.loginRoute} with a bearer token first`,
      );
    }
    if (Date.now() - session.createdAt > this.absoluteLifetimeMs) {
      await this.sessions.destroy(request);
      throw new UnauthorizedException(
        `session expired (absolute lifetime); ${this.loginRoute}`,
      );
    }
    return true;
  }
}

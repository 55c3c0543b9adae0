import {
  CanActivate,
  ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request } from 'express';
import type { CartEnvironment } from '../config/cart-environment';
import { counter } from '@app/platform';
import { CartSessions } from './cart-sessions.service';
import { sessionCookieName } from './session.middleware';

const sessionsMissing = counter(
  'sessions_missing_total',
  'Requests whose session cookie named no session (lost or expired)',
  ['store'],
);

/**
 * Cart routes need a logged-in session. Also enforces the absolute lifetime, which express-session
 * does not have (its cookie maxAge with `rolling` is only the idle timeout).
 */
@Injectable()
export class SessionGuard implements CanActivate {
  private readonly absoluteLifetimeMs: number;
  private readonly loginRoute: string;
  private readonly cookieName: string;
  private readonly storeName: string;

  constructor(
    private readonly sessions: CartSessions,
    config: ConfigService<CartEnvironment, true>,
  ) {
    this.absoluteLifetimeMs =
      config.get('SESSION_ABSOLUTE_TIMEOUT_SECONDS', { infer: true }) * 1000;
    this.loginRoute = `POST ${config.get('ROUTE_PREFIX', { infer: true })}/login`;
    this.cookieName = sessionCookieName(
      config.get('ROUTE_PREFIX', { infer: true }),
    );
    this.storeName = config.get('SESSION_STORE', { infer: true });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const session = request.session;
    if (!session?.userId || !session.createdAt) {
      // A session cookie that names no session: the session was lost (its pod died, it expired).
      if (request.headers.cookie?.includes(`${this.cookieName}=`)) {
        sessionsMissing.inc({ store: this.storeName });
      }
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

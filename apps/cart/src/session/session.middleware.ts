import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session, { type Store } from 'express-session';
import { isRedisUnavailableError, withDeadline } from '@app/platform';
import type { CartEnvironment } from '../config/cart-environment';
import { SESSION_STORE } from './session-store.provider';
import { SessionStoreUnavailableException } from './session-store-unavailable.exception';

/** Cookie name per deployment (`cart_sid`, `legacy-cart_sid`): never express-session's default. */
export function sessionCookieName(routePrefix: string): string {
  return `${routePrefix.slice(1)}_sid`;
}

/** express-session as one would ship it, in front of the cart routes only. */
@Injectable()
export class SessionMiddleware implements NestMiddleware {
  private readonly handler: RequestHandler;
  private readonly storeName: string;
  private readonly timeoutMs: number;

  constructor(
    @Inject(SESSION_STORE) store: Store,
    config: ConfigService<CartEnvironment, true>,
  ) {
    const prefix = config.get('ROUTE_PREFIX', { infer: true });
    this.storeName = config.get('SESSION_STORE', { infer: true });
    this.timeoutMs = config.get('REDIS_COMMAND_TIMEOUT_MS', { infer: true });
    this.handler = session({
      store,
      name: sessionCookieName(prefix),
      secret: config.get('SESSION_SECRETS', { infer: true }),
      // No session (and no store entry) until someone logs in.
      saveUninitialized: false,
      resave: false,
      // Idle timeout: every response pushes the expiry forward; the absolute limit is the guard's.
      rolling: true,
      // Trust the ingress's X-Forwarded-Proto (trust proxy is set for private networks).
      proxy: true,
      cookie: {
        path: prefix,
        httpOnly: true,
        sameSite: 'lax',
        secure: 'auto',
        maxAge:
          config.get('SESSION_IDLE_TIMEOUT_SECONDS', { infer: true }) * 1000,
      },
    });
  }

  use(request: Request, response: Response, next: NextFunction): void {
    // Loading the session is a store round trip: bounded, so a hung Redis is a fast 503 too.
    const loaded = new Promise<void>((resolve, reject) =>
      this.handler(request, response, (error?: unknown) =>
        error ? reject(error) : resolve(),
      ),
    );
    withDeadline(
      loaded,
      this.timeoutMs,
      () => new SessionStoreUnavailableException(this.storeName),
    )
      .then(() => next())
      .catch((error: unknown) =>
        next(
          isRedisUnavailableError(error)
            ? new SessionStoreUnavailableException(this.storeName)
            : error,
        ),
      );
  }
}

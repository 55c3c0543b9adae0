import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request } from 'express';
import type { Session, SessionData } from 'express-session';
import { randomUUID } from 'node:crypto';
import {
  counter,
  currentPodName,
  isRedisUnavailableError,
  withDeadline,
  type RedisClient,
} from '@app/platform';
import type { CartEnvironment } from '../config/cart-environment';
import { AccessTokenCipher } from './access-token-cipher';
import type { CartSessionStore } from './cart-session-store';
import type { CartState } from './session-data';
import { SessionLock } from './session-lock';
import { SessionStoreUnavailableException } from './session-store-unavailable.exception';
import { SESSION_REDIS, SESSION_STORE } from './session-store.provider';

export type CartSession = Session & Partial<SessionData>;

const sessionsCreated = counter(
  'sessions_created_total',
  'Sessions created at login',
  ['store'],
);
const sessionsRevoked = counter(
  'sessions_revoked_total',
  'Sessions revoked at login because their user had SESSION_MAX_PER_USER already',
  ['store'],
);

export function emptyCart(): CartState {
  return { id: randomUUID(), lines: [] };
}

/**
 * Promisified express-session operations, bounded in time, outages reported as a named 503;
 * logins admitted under the per-user limit, the bearer token sealed before it reaches the store.
 */
@Injectable()
export class CartSessions {
  private readonly lock: SessionLock;
  private readonly cipher: AccessTokenCipher;
  private readonly storeName: string;
  private readonly timeoutMs: number;
  private readonly loginRoute: string;

  constructor(
    @Inject(SESSION_REDIS) redis: RedisClient | null,
    @Inject(SESSION_STORE) private readonly store: CartSessionStore,
    config: ConfigService<CartEnvironment, true>,
  ) {
    this.lock = new SessionLock(redis);
    this.cipher = new AccessTokenCipher(
      config.get('SESSION_SECRETS', { infer: true }),
    );
    this.storeName = config.get('SESSION_STORE', { infer: true });
    this.timeoutMs = config.get('REDIS_COMMAND_TIMEOUT_MS', { infer: true });
    this.loginRoute = `POST ${config.get('ROUTE_PREFIX', { infer: true })}/login`;
  }

  /**
   * A fresh session id for a login (no fixation: an id planted before login is discarded),
   * admitted by the store, which revokes the user's oldest sessions beyond SESSION_MAX_PER_USER.
   */
  async start(
    request: Request,
    userId: string,
    accessToken: string,
  ): Promise<CartSession> {
    await this.call((done) => request.session.regenerate(done));
    Object.assign(request.session, {
      userId,
      sealedAccessToken: this.cipher.seal(accessToken, request.sessionID),
      createdAt: Date.now(),
      createdByPod: currentPodName(),
      cart: emptyCart(),
    } satisfies Omit<SessionData, 'cookie'>);
    const revoked = await this.bounded(
      // Every field was set just above.
      this.store.admit(request.sessionID, request.session as SessionData),
    );
    // express-session's own save (an update now): it then knows the session is stored.
    await this.call((done) => request.session.save(done));
    sessionsCreated.inc({ store: this.storeName });
    if (revoked) sessionsRevoked.inc({ store: this.storeName }, revoked);
    return request.session;
  }

  /** The bearer token to act for the user with (checkout), opened from the session. */
  accessTokenOf(request: Request): string {
    const sealed = request.session.sealedAccessToken;
    const token = sealed && this.cipher.open(sealed, request.sessionID);
    if (!token) {
      // Sealed under a secret that is no longer configured, or a session from before sealing.
      throw new UnauthorizedException(
        `the session holds no usable token; ${this.loginRoute} again`,
      );
    }
    return token;
  }

  /** Read-modify-write under the session's lock, on the latest stored copy. */
  async update<T>(
    request: Request,
    change: (session: CartSession) => T,
  ): Promise<T> {
    return this.lock.run(request.sessionID, async () => {
      await this.call((done) => request.session.reload(done)).catch(
        (error: unknown) => {
          // express-session's reload of a session no longer in the store: revoked by a newer
          // login, or logged out, while this request was on its way.
          if ((error as Error).message === 'failed to load session') {
            throw new UnauthorizedException(
              `the session has ended; ${this.loginRoute}`,
            );
          }
          throw error;
        },
      );
      const result = change(request.session);
      await this.call((done) => request.session.save(done));
      return result;
    });
  }

  async destroy(request: Request): Promise<void> {
    await this.call((done) => request.session.destroy(done));
  }

  /** One store operation, bounded in time, with outages reported as a 503 naming the store. */
  private async call(
    operation: (done: (error?: unknown) => void) => unknown,
  ): Promise<void> {
    await this.bounded(
      new Promise<void>((resolve, reject) =>
        operation((error) => (error ? reject(error) : resolve())),
      ),
    );
  }

  private async bounded<T>(operation: Promise<T>): Promise<T> {
    return withDeadline(operation, this.timeoutMs, () =>
      this.unavailable(),
    ).catch((error: unknown) => {
      throw isRedisUnavailableError(error) ? this.unavailable() : error;
    });
  }

  private unavailable(): SessionStoreUnavailableException {
    return new SessionStoreUnavailableException(this.storeName);
  }
}

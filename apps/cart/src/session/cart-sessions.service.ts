import { Inject, Injectable } from '@nestjs/common';
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
import type { CartState } from './session-data';
import { SessionLock } from './session-lock';
import { SessionStoreUnavailableException } from './session-store-unavailable.exception';
import { SESSION_REDIS } from './session-store.provider';

export type CartSession = Session & Partial<SessionData>;

const sessionsCreated = counter(
  'sessions_created_total',
  'Sessions created at login',
  ['store'],
);

export function emptyCart(): CartState {
  return { id: randomUUID(), lines: [] };
}

/** Promisified express-session operations, bounded in time, outages reported as a named 503. */
@Injectable()
export class CartSessions {
  private readonly lock: SessionLock;
  private readonly storeName: string;
  private readonly timeoutMs: number;

  constructor(
    @Inject(SESSION_REDIS) redis: RedisClient | null,
    config: ConfigService<CartEnvironment, true>,
  ) {
    this.lock = new SessionLock(redis);
    this.storeName = config.get('SESSION_STORE', { infer: true });
    this.timeoutMs = config.get('REDIS_COMMAND_TIMEOUT_MS', { infer: true });
  }

  /** A fresh session id for a login (no fixation: an id planted before login is discarded). */
  async start(
    request: Request,
    userId: string,
    accessToken: string,
  ): Promise<CartSession> {
    await this.call((done) => request.session.regenerate(done));
    Object.assign(request.session, {
      userId,
      accessToken,
      createdAt: Date.now(),
      createdByPod: currentPodName(),
      cart: emptyCart(),
    } satisfies Omit<SessionData, 'cookie'>);
    await this.call((done) => request.session.save(done));
    sessionsCreated.inc({ store: this.storeName });
    return request.session;
  }

  /** Read-modify-write under the session's lock, on the latest stored copy. */
  async update<T>(
    request: Request,
    change: (session: CartSession) => T,
  ): Promise<T> {
    return this.lock.run(request.sessionID, async () => {
      await this.call((done) => request.session.reload(done));
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
    const done = new Promise<void>((resolve, reject) =>
      operation((error) => (error ? reject(error) : resolve())),
    );
    await withDeadline(done, this.timeoutMs, () => this.unavailable()).catch(
      (error: unknown) => {
        throw isRedisUnavailableError(error) ? this.unavailable() : error;
      },
    );
  }

  private unavailable(): SessionStoreUnavailableException {
    return new SessionStoreUnavailableException(this.storeName);
  }
}

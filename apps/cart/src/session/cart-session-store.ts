import type { SessionData, Store } from 'express-session';

export interface SessionLimits {
  /** Idle timeout: every read pushes a session's expiry this far ahead. */
  idleTimeoutSeconds: number;
  /** Absolute lifetime (enforced by SessionGuard); bounds how long a user's index must live. */
  absoluteTimeoutSeconds: number;
  /** SESSION_MAX_PER_USER: a login beyond it revokes the user's oldest session. */
  maxSessionsPerUser: number;
}

/**
 * What the cart needs of a session store beyond express-session's Store, for both stores:
 * - `admit` is the only way a session comes into being (login): stored, counted for its user,
 *   and the user's oldest sessions beyond the limit revoked, so one token cannot fill the store;
 * - `set` only updates a session that still exists: a request in flight on a session that a
 *   login (or a logout) just revoked must not write it back to life.
 */
export interface CartSessionStore extends Store {
  /** Stores a new session of `session.userId`; resolves to how many older ones were revoked. */
  admit(sid: string, session: SessionData): Promise<number>;
}

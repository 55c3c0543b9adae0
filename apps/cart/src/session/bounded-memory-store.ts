import { Store, type SessionData } from 'express-session';
import { LRUCache } from 'lru-cache';
import type { CartSessionStore, SessionLimits } from './cart-session-store';

type Callback<T = unknown> = (error?: unknown, value?: T) => void;

/**
 * A hard cap on what one pod keeps, whatever the number of users: beyond it the least recently
 * used session is dropped. Far above what the per-user limit lets the demo users reach; it only
 * bounds memory if the user list is huge.
 */
export const MEMORY_STORE_MAX_SESSIONS = 10_000;

interface StoredSession {
  /** JSON, as express-session's MemoryStore keeps it: every read gets its own copy. */
  json: string;
  userId: string;
}

/**
 * The legacy cart's in-process store: still memory of this one process, so a pod kill still
 * loses every session on it (the lesson). What it no longer does is grow without bound, as
 * express-session's MemoryStore does (it deletes an expired session only when that session is
 * asked for again). An LRU with the idle timeout as TTL, refreshed on every read (rolling, as
 * the Redis store's GETEX), purged by lru-cache's own timers as entries expire, capped at
 * MEMORY_STORE_MAX_SESSIONS, with the per-user limit on top.
 */
export class BoundedMemoryStore extends Store implements CartSessionStore {
  private readonly sessions: LRUCache<string, StoredSession>;
  /** Session ids per user, oldest first: kept in step by the cache's dispose hook. */
  private readonly idsByUser = new Map<string, string[]>();

  constructor(
    private readonly limits: SessionLimits,
    maxSessions = MEMORY_STORE_MAX_SESSIONS,
  ) {
    super();
    this.sessions = new LRUCache<string, StoredSession>({
      max: maxSessions,
      ttl: limits.idleTimeoutSeconds * 1000,
      updateAgeOnGet: true,
      ttlAutopurge: true,
      // An update replaces the value, not the session: the index must not lose it.
      noDisposeOnSet: true,
      dispose: (stored, sid) => this.forget(stored.userId, sid),
    });
  }

  /** Sessions held right now (expired ones are already gone). */
  get size(): number {
    return this.sessions.size;
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    const stored = this.sessions.get(sid);
    const session = stored ? (JSON.parse(stored.json) as SessionData) : null;
    setImmediate(callback, null, session);
  }

  /** Updates only: a session revoked or destroyed meanwhile stays gone. */
  override set(sid: string, session: SessionData, callback?: Callback): void {
    const stored = this.sessions.get(sid);
    if (stored)
      this.sessions.set(sid, { ...stored, json: JSON.stringify(session) });
    if (callback) setImmediate(callback);
  }

  override touch(_sid: string, _session: SessionData, callback?: Callback) {
    // The read that loaded this session already refreshed its TTL.
    if (callback) setImmediate(callback);
  }

  override destroy(sid: string, callback?: Callback): void {
    this.sessions.delete(sid);
    if (callback) setImmediate(callback);
  }

  override length(callback: Callback<number>): void {
    setImmediate(callback, null, this.sessions.size);
  }

  override clear(callback?: Callback): void {
    this.sessions.clear();
    if (callback) setImmediate(callback);
  }

  async admit(sid: string, session: SessionData): Promise<number> {
    const userId = session.userId;
    this.sessions.set(sid, { json: JSON.stringify(session), userId });
    const ids = this.idsByUser.get(userId) ?? [];
    ids.push(sid);
    this.idsByUser.set(userId, ids);
    const revoked = ids.slice(
      0,
      Math.max(0, ids.length - this.limits.maxSessionsPerUser),
    );
    // Each delete calls dispose, which takes the id out of `ids`.
    for (const old of revoked) this.sessions.delete(old);
    return Promise.resolve(revoked.length);
  }

  private forget(userId: string, sid: string): void {
    const ids = this.idsByUser.get(userId);
    if (!ids) return;
    const remaining = ids.filter((candidate) => candidate !== sid);
    if (remaining.length) this.idsByUser.set(userId, remaining);
    else this.idsByUser.delete(userId);
  }
}

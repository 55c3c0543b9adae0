import type { SessionData } from 'express-session';
import { setTimeout as sleep } from 'node:timers/promises';
import { BoundedMemoryStore } from './bounded-memory-store';
import type { SessionLimits } from './cart-session-store';

const LIMITS: SessionLimits = {
  idleTimeoutSeconds: 1800,
  absoluteTimeoutSeconds: 8 * 3600,
  maxSessionsPerUser: 3,
};

const of = (userId: string, extra: Record<string, unknown> = {}) =>
  ({
    cookie: { originalMaxAge: 1000, path: '/legacy-cart' },
    userId,
    ...extra,
  }) as unknown as SessionData;

const read = (store: BoundedMemoryStore, sid: string) =>
  new Promise<SessionData | null | undefined>((resolve, reject) =>
    store.get(sid, (error, session) =>
      error ? reject(error as Error) : resolve(session),
    ),
  );
const write = (store: BoundedMemoryStore, sid: string, session: SessionData) =>
  new Promise<void>((resolve) => store.set(sid, session, () => resolve()));

describe('BoundedMemoryStore: process memory, without the unbounded growth', () => {
  it('every read is a copy: changing a loaded session changes nothing stored', async () => {
    const store = new BoundedMemoryStore(LIMITS);
    await store.admit('a1', of('alice', { note: 'kept' }));
    const loaded = (await read(store, 'a1')) as unknown as { note: string };
    loaded.note = 'changed';
    expect(await read(store, 'a1')).toMatchObject({ note: 'kept' });
  });

  it('set only updates: a revoked or destroyed session stays gone', async () => {
    const store = new BoundedMemoryStore(LIMITS);
    await write(store, 'never', of('alice'));
    expect(await read(store, 'never')).toBeNull();
    await store.admit('a1', of('alice'));
    await write(store, 'a1', of('alice', { note: 'updated' }));
    expect(await read(store, 'a1')).toMatchObject({ note: 'updated' });
    store.destroy('a1');
    await write(store, 'a1', of('alice'));
    expect(await read(store, 'a1')).toBeNull();
    expect(store.size).toBe(0);
  });

  it('the login beyond the limit revokes that user’s oldest session only', async () => {
    const store = new BoundedMemoryStore(LIMITS);
    await store.admit('b1', of('bob'));
    for (const sid of ['a1', 'a2', 'a3']) await store.admit(sid, of('alice'));
    expect(await store.admit('a4', of('alice'))).toBe(1);
    expect(await read(store, 'a1')).toBeNull();
    for (const sid of ['a2', 'a3', 'a4', 'b1'])
      expect(await read(store, sid)).not.toBeNull();
    // A destroyed session frees its place: the next login revokes nothing.
    store.destroy('a3');
    expect(await store.admit('a5', of('alice'))).toBe(0);
    expect(store.size).toBe(4);
  });

  it('1,000 logins of one user hold the limit, not 1,000 sessions', async () => {
    const store = new BoundedMemoryStore(LIMITS);
    for (let index = 0; index < 1000; index++)
      await store.admit(`s${index}`, of('alice'));
    expect(store.size).toBe(LIMITS.maxSessionsPerUser);
  });

  it('idle sessions are pruned without being asked for; a read keeps one alive', async () => {
    const store = new BoundedMemoryStore({
      ...LIMITS,
      idleTimeoutSeconds: 0.3,
    });
    await store.admit('idle', of('alice'));
    await store.admit('busy', of('bob'));
    for (let step = 0; step < 4; step++) {
      await sleep(120);
      expect(await read(store, 'busy')).not.toBeNull();
    }
    expect(store.size).toBe(1);
    await sleep(450);
    expect(store.size).toBe(0);
    // The pruned sessions left no trace in the per-user index either.
    expect(await store.admit('again', of('alice'))).toBe(0);
  });

  it('a hard cap over all users: the least recently used session goes first', async () => {
    const store = new BoundedMemoryStore(LIMITS, 3);
    for (const user of ['u1', 'u2', 'u3']) await store.admit(user, of(user));
    await read(store, 'u1');
    await store.admit('u4', of('u4'));
    expect(store.size).toBe(3);
    expect(await read(store, 'u2')).toBeNull();
    expect(await read(store, 'u1')).not.toBeNull();
  });
});

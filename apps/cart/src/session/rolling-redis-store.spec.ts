import type { SessionData } from 'express-session';
import {
  closeRedisClient,
  createRedisClient,
  type RedisClient,
} from '@app/platform';
import { RedisServer } from '../../../../tools/process/redis-server';
import type { SessionLimits } from './cart-session-store';
import { RollingRedisStore, USER_SESSIONS_PREFIX } from './rolling-redis-store';

const IDLE_SECONDS = 1800;
const LIMITS: SessionLimits = {
  idleTimeoutSeconds: IDLE_SECONDS,
  absoluteTimeoutSeconds: 8 * 3600,
  maxSessionsPerUser: 3,
};

/** Real Redis on a port of the test's own: the round trips are counted by Redis itself. */
describe('RollingRedisStore: a session read is one Redis round trip', () => {
  let server: RedisServer;
  let client: RedisClient;
  let store: RollingRedisStore;

  beforeAll(async () => {
    server = await RedisServer.start();
    client = await createRedisClient({
      url: server.url,
    });
    store = new RollingRedisStore(client, 'sess:', LIMITS);
  });

  afterAll(async () => {
    await closeRedisClient(client);
    await server.stop();
  });

  /** Calls per command since the last reset, from Redis's INFO commandstats. */
  async function commandCalls(): Promise<Record<string, number>> {
    const info = await client.info('commandstats');
    return Object.fromEntries(
      [...info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)].map((match) => [
        match[1],
        Number(match[2]),
      ]),
    );
  }

  const session = {
    cookie: { originalMaxAge: IDLE_SECONDS * 1000, path: '/cart' },
    userId: 'alice',
  } as unknown as SessionData;

  it('loads the session with GETEX and resets its idle expiry in the same command', async () => {
    await store.admit('s1', session);
    await client.expire('sess:s1', 5); // as if the user had been idle for a long time
    await client.configResetStat();

    const loaded = (await store.get('s1')) as unknown as { userId: string };
    await store.touch('s1', loaded as unknown as SessionData);

    expect(loaded.userId).toBe('alice');
    const ttl = await client.ttl('sess:s1');
    expect(ttl).toBeGreaterThan(IDLE_SECONDS - 5);
    expect(ttl).toBeLessThanOrEqual(IDLE_SECONDS);
    const calls = await commandCalls();
    expect(calls.getex).toBe(1);
    expect(calls.expire).toBeUndefined();
    expect(calls.get).toBeUndefined();
  });

  it('answers null for a session that is not there, through the callback too', async () => {
    await expect(store.get('missing')).resolves.toBeNull();
    const viaCallback = await new Promise((resolve, reject) =>
      store.get('missing', (error, value) =>
        error ? reject(error as Error) : resolve(value),
      ),
    );
    expect(viaCallback).toBeNull();
  });

  it('passes a Redis failure to express-session instead of throwing past it', async () => {
    const closed = await createRedisClient({
      url: server.url,
    });
    await closeRedisClient(closed);
    const broken = new RollingRedisStore(closed, 'sess:', LIMITS);
    const error = await new Promise((resolve) =>
      broken.get('s1', (failure) => resolve(failure)),
    );
    expect(error).toBeInstanceOf(Error);
  });

  describe('admit and set: at most the limit per user, and no write brings a session back', () => {
    const of = (userId: string) =>
      ({ ...session, userId }) as unknown as SessionData;
    const liveIds = async (userId: string) =>
      client.zRange(`${USER_SESSIONS_PREFIX}${userId}`, 0, -1);

    it('set only updates: a session that is not stored (revoked, logged out) stays absent', async () => {
      await store.set('never-admitted', of('carol'));
      expect(await client.exists('sess:never-admitted')).toBe(0);
      await store.admit('c1', of('carol'));
      await store.destroy('c1');
      await store.set('c1', of('carol'));
      expect(await client.exists('sess:c1')).toBe(0);
    });

    it("the login beyond the limit deletes the oldest session, and only that user's", async () => {
      await store.admit('other', of('dave'));
      for (const sid of ['e1', 'e2', 'e3']) await store.admit(sid, of('erin'));
      expect(await store.admit('e4', of('erin'))).toBe(1);
      expect(await client.exists('sess:e1')).toBe(0);
      expect(await liveIds('erin')).toEqual(['e2', 'e3', 'e4']);
      expect(await client.exists('sess:other')).toBe(1);
      // The index itself expires, after the longest any session of the user can be used.
      const ttl = await client.ttl(`${USER_SESSIONS_PREFIX}erin`);
      expect(ttl).toBeGreaterThan(LIMITS.absoluteTimeoutSeconds);
      expect(ttl).toBeLessThanOrEqual(
        LIMITS.absoluteTimeoutSeconds + IDLE_SECONDS,
      );
    });

    it('sessions that expired or were destroyed free their place', async () => {
      for (const sid of ['f1', 'f2', 'f3']) await store.admit(sid, of('frank'));
      await store.destroy('f2');
      await client.del('sess:f3'); // as its idle TTL would
      expect(await store.admit('f4', of('frank'))).toBe(0);
      expect(await liveIds('frank')).toEqual(['f1', 'f4']);
    });

    it('50 parallel admits of one user leave exactly the limit, in Redis and in its index', async () => {
      const sids = Array.from({ length: 50 }, (_, index) => `g${index}`);
      const revoked = await Promise.all(
        sids.map((sid) => store.admit(sid, of('grace'))),
      );
      expect(revoked.reduce((sum, count) => sum + count, 0)).toBe(47);
      const live = await liveIds('grace');
      expect(live).toHaveLength(3);
      const stored = await client.keys('sess:g*');
      expect(stored.sort()).toEqual(live.map((sid) => `sess:${sid}`).sort());
    });
  });
});

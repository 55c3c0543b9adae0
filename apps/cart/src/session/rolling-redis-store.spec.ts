import type { SessionData } from 'express-session';
import {
  closeRedisClient,
  createRedisClient,
  type RedisClient,
} from '@app/platform';
import { TestRedisServer } from '../../../../test/support/redis-server';
import { RollingRedisStore } from './rolling-redis-store';

const IDLE_SECONDS = 1800;

/** Real Redis on a port of the test's own: the round trips are counted by Redis itself. */
describe('RollingRedisStore: a session read is one Redis round trip', () => {
  let server: TestRedisServer;
  let client: RedisClient;
  let store: RollingRedisStore;

  beforeAll(async () => {
    server = await TestRedisServer.start();
    client = await createRedisClient({
      url: server.url,
    });
    store = new RollingRedisStore(client, 'sess:', IDLE_SECONDS);
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
    await store.set('s1', session);
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
    const broken = new RollingRedisStore(closed, 'sess:', IDLE_SECONDS);
    const error = await new Promise((resolve) =>
      broken.get('s1', (failure) => resolve(failure)),
    );
    expect(error).toBeInstanceOf(Error);
  });
});

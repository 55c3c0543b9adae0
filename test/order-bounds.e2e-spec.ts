import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { TestRedisServer } from './support/redis-server';
import type { ServiceProcess } from './support/service-process';
import { login, startOrder, stopAll, TestServices } from './support/services';

const americano = { items: [{ sku: 'americano', qty: 1 }], payment: 'card' };
const RACE_TRIALS = 10;
const RACERS = Array.from(
  { length: RACE_TRIALS },
  (_, trial) => `racer${trial}`,
);
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', ...RACERS];

/**
 * What one token can make Redis hold, and how fast: a per-user order rate limit shared by every
 * replica, an expiry on every key order writes (orders, idempotency claims, the per-user index,
 * the limiter's own counters), and a per-user history of at most ORDER_HISTORY_LIMIT orders.
 * Order has a Redis of its own here, so "every key has a TTL" is about order's keys only.
 */
describe('order: bounds on what one token can make Redis hold', () => {
  const services = new TestServices();
  let orderRedis: TestRedisServer;
  let store: ReturnType<typeof createClient>;
  let auth: ServiceProcess;
  /** Two replicas, 5 orders per user per 2 s. */
  let limited: ServiceProcess[];
  /** A short history (5 orders) and short, distinct TTLs, so each can be read back. */
  let bounded: ServiceProcess;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    // auth on the block's Redis (services.redis()), order on one of its own.
    orderRedis = await services.startRedis();
    auth = await services.auth({
      AUTH_USERS: USERS.map((name) => `${name}:${name}-password`).join(','),
    });
    limited = await Promise.all(
      [0, 1].map(() =>
        services.order(
          auth,
          {
            ORDER_RATE_LIMIT_MAX_ORDERS: '5',
            ORDER_RATE_LIMIT_WINDOW_SECONDS: '2',
          },
          { redis: orderRedis },
        ),
      ),
    );
    bounded = await services.order(
      auth,
      {
        ORDER_RATE_LIMIT_MAX_ORDERS: '1000',
        ORDER_HISTORY_LIMIT: '5',
        ORDER_IDEMPOTENCY_TTL_SECONDS: '120',
        ORDER_RETENTION_SECONDS: '600',
      },
      { redis: orderRedis },
    );
    for (const name of USERS)
      tokens.set(name, (await login(auth, name)).access_token);
    store = createClient({ url: orderRedis.url });
    await store.connect();
  });
  afterAll(async () => {
    await store?.close();
    await services.stop();
  });

  const place = (
    order: ServiceProcess,
    user: string,
    idempotencyKey?: string,
    body: object = americano,
  ) =>
    fetch(`${order.url}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.get(user)}`,
        'content-type': 'application/json',
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
      body: JSON.stringify(body),
    });
  const listed = async (order: ServiceProcess, user: string) =>
    (await (
      await fetch(`${order.url}/orders`, {
        headers: { authorization: `Bearer ${tokens.get(user)}` },
      })
    ).json()) as Array<{ id: string }>;
  const status = async (order: ServiceProcess, user: string, id: string) =>
    (
      await fetch(`${order.url}/orders/${id}`, {
        headers: { authorization: `Bearer ${tokens.get(user)}` },
      })
    ).status;
  /** Keys of order's Redis whose name contains `part` (an order id, a client's key). */
  const keysNaming = (part: string) => store.keys(`*${part}*`);
  /** The user's index of orders: the one sorted set whose key names the user. */
  const indexOf = async (user: string) => {
    const sortedSets = [];
    for (const key of await keysNaming(user))
      if ((await store.type(key)) === 'zset') sortedSets.push(key);
    expect(sortedSets).toHaveLength(1);
    return sortedSets[0];
  };

  describe('per-user order rate limit (ORDER_RATE_LIMIT_*)', () => {
    it('the order over the limit is 429 with Retry-After and the JSON error body, on any replica; the next window accepts again', async () => {
      for (let index = 0; index < 5; index++)
        expect((await place(limited[index % 2], 'alice')).status).toBe(201);
      const refused = await place(limited[1], 'alice');
      expect(refused.status).toBe(429);
      expect(await refused.json()).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        message: expect.stringMatching(
          /^too many orders: at most 5 per 2 s per user; retry in [12] s$/,
        ),
      });
      const retryAfter = refused.headers.get('retry-after');
      expect(retryAfter).toMatch(/^[12]$/);
      expect(await listed(limited[0], 'alice')).toHaveLength(5);

      await sleep(Number(retryAfter) * 1000 + 100);
      expect((await place(limited[0], 'alice')).status).toBe(201);
    });

    it(`counts concurrent orders exactly: ${RACE_TRIALS} trials of 20 parallel orders over two replicas create 5 each`, async () => {
      const createdPerTrial: number[] = [];
      for (const racer of RACERS) {
        const responses = await Promise.all(
          Array.from({ length: 20 }, (_, index) =>
            place(limited[index % 2], racer, `${racer}-${index}`),
          ),
        );
        const statuses = responses.map((response) => response.status);
        expect(statuses.filter((code) => code !== 201 && code !== 429)).toEqual(
          [],
        );
        createdPerTrial.push(statuses.filter((code) => code === 201).length);
        expect(await listed(limited[0], racer)).toHaveLength(
          createdPerTrial.at(-1) as number,
        );
      }
      process.stdout.write(
        `orders created per trial of 20 parallel (limit 5): ${createdPerTrial.join(', ')}\n`,
      );
      expect(createdPerTrial).toEqual(Array(RACE_TRIALS).fill(5));
    });
  });

  describe('expiry (ORDER_RETENTION_SECONDS, ORDER_IDEMPOTENCY_TTL_SECONDS)', () => {
    it('every key order writes has a TTL; the order and its index expire after the retention, the idempotency claim after its TTL', async () => {
      const idempotencyKey = `carol-ttl-${Date.now()}`;
      const placed = await place(bounded, 'carol', idempotencyKey);
      expect(placed.status).toBe(201);
      const { id } = (await placed.json()) as { id: string };

      const [orderKey] = await keysNaming(id);
      const [claimKey] = await keysNaming(idempotencyKey);
      expect(orderKey).toBeDefined();
      expect(claimKey).toBeDefined();

      const orderTtl = await store.pTTL(orderKey);
      const claimTtl = await store.pTTL(claimKey);
      expect(orderTtl).toBeGreaterThan(590_000);
      expect(orderTtl).toBeLessThanOrEqual(600_000);
      expect(claimTtl).toBeGreaterThan(110_000);
      expect(claimTtl).toBeLessThanOrEqual(120_000);
      expect(await store.pTTL(await indexOf('carol'))).toBeGreaterThan(590_000);

      // PTTL is -1 for a key without a TTL; -2 means it expired between KEYS and PTTL (the 1 s
      // rate-limit window can), which is the opposite of what this looks for.
      const withoutTtl = [];
      for (const key of await store.keys('*'))
        if ((await store.pTTL(key)) === -1) withoutTtl.push(key);
      expect(withoutTtl).toEqual([]);
    });

    it('a replay neither extends the idempotency claim nor the order (the TTL counts from the first request)', async () => {
      const idempotencyKey = `carol-replay-${Date.now()}`;
      const first = await place(bounded, 'carol', idempotencyKey);
      const { id } = (await first.json()) as { id: string };
      const [orderKey] = await keysNaming(id);
      const [claimKey] = await keysNaming(idempotencyKey);
      const before = [await store.pTTL(claimKey), await store.pTTL(orderKey)];

      await sleep(1500);
      const replay = await place(bounded, 'carol', idempotencyKey);
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(((await replay.json()) as { id: string }).id).toBe(id);
      const after = [await store.pTTL(claimKey), await store.pTTL(orderKey)];
      expect(after[0]).toBeLessThanOrEqual(before[0] - 1400);
      expect(after[1]).toBeLessThanOrEqual(before[1] - 1400);
    });
  });

  describe('history (ORDER_HISTORY_LIMIT)', () => {
    it('keeps the newest 5 orders of a user; older ones are gone with their idempotency claims; GET /orders lists only those', async () => {
      const placed: Array<{ id: string; key: string }> = [];
      for (let index = 0; index < 8; index++) {
        const key = `dave-history-${index}-${Date.now()}`;
        const response = await place(bounded, 'dave', key);
        expect(response.status).toBe(201);
        placed.push({
          id: ((await response.json()) as { id: string }).id,
          key,
        });
        await sleep(2); // distinct createdAt, so "newest" is unambiguous
      }
      const newest = placed.slice(3).reverse();
      expect((await listed(bounded, 'dave')).map((order) => order.id)).toEqual(
        newest.map((order) => order.id),
      );
      for (const { id, key } of placed.slice(0, 3)) {
        expect(await status(bounded, 'dave', id)).toBe(404);
        expect(await keysNaming(id)).toEqual([]);
        expect(await keysNaming(key)).toEqual([]);
      }
      for (const { id, key } of newest) {
        expect(await status(bounded, 'dave', id)).toBe(200);
        expect(await keysNaming(key)).toHaveLength(1);
      }
    });

    it('one token, 200 distinct Idempotency-Keys: its Redis holds 5 orders, 5 claims, an index and a counter', async () => {
      // A Redis and an order pod of their own: everything in that Redis is this one user's.
      const floodRedis = await TestRedisServer.start();
      const flooded = await startOrder(floodRedis.url, auth, {
        ORDER_RATE_LIMIT_MAX_ORDERS: '1000',
        ORDER_HISTORY_LIMIT: '5',
      });
      const floodStore = createClient({ url: floodRedis.url });
      try {
        await floodStore.connect();
        for (let batch = 0; batch < 20; batch++) {
          const responses = await Promise.all(
            Array.from({ length: 10 }, (_, index) =>
              place(flooded, 'bob', `bob-flood-${batch}-${index}`),
            ),
          );
          expect(responses.map((response) => response.status)).toEqual(
            Array(10).fill(201),
          );
        }
        const size = await floodStore.dbSize();
        process.stdout.write(
          `200 orders of one user with distinct keys: Redis holds ${size} keys\n`,
        );
        expect(size).toBe(5 + 5 + 1 + 1);
        expect(await listed(flooded, 'bob')).toHaveLength(5);
        // -1: no TTL (the defect); -2: expired since KEYS, as a 1 s rate-limit key may.
        for (const key of await floodStore.keys('*'))
          expect(await floodStore.pTTL(key)).not.toBe(-1);
      } finally {
        await floodStore.close();
        await stopAll(flooded, floodRedis);
      }
    });

    it('an index far over the limit (the limit was lowered) drains by at most 100 per order, then holds the limit', async () => {
      await place(bounded, 'erin', `erin-first-${Date.now()}`);
      const index = await indexOf('erin');
      const now = Date.now();
      await store.zAdd(
        index,
        Array.from({ length: 150 }, (_, offset) => ({
          score: now - 10_000 + offset,
          value: `00000000-0000-4000-8000-${String(offset).padStart(12, '0')}`,
        })),
      );
      const sizes = [await store.zCard(index)];
      for (let order = 0; order < 2; order++) {
        await place(bounded, 'erin', `erin-drain-${order}-${Date.now()}`);
        sizes.push(await store.zCard(index));
      }
      expect(sizes).toEqual([151, 52, 5]);
    });

    it('drops index entries older than the retention when the next order is placed', async () => {
      await place(bounded, 'carol', `carol-prune-${Date.now()}`);
      const index = await indexOf('carol');
      const stale = '00000000-0000-4000-8000-000000000000';
      // An entry made 11 minutes ago (retention 10): its order has expired, the entry must go.
      await store.zAdd(index, {
        score: Date.now() - 660_000,
        value: stale,
      });
      await place(bounded, 'carol', `carol-prune-next-${Date.now()}`);
      expect(await store.zScore(index, stale)).toBeNull();
    });
  });
});

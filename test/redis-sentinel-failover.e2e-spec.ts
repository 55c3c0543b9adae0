import { setTimeout as sleep } from 'node:timers/promises';
import {
  redisCommand,
  TEST_SENTINEL_NAME,
  TestRedisSentinelGroup,
} from './support/redis-sentinel';
import { ServiceProcess } from './support/service-process';
import { CartClient, login, TestServices } from './support/services';

const americano = { items: [{ sku: 'americano', qty: 1 }], payment: 'card' };
/** Sentinel: 1 s to judge the primary down, then a vote and a promotion; the rest is margin. */
const RECOVERY_BOUND_MS = 15_000;

/**
 * auth, order and cart through Sentinel (REDIS_SENTINELS) in front of a primary and a replica:
 * the primary is SIGKILLed, the Sentinels promote the replica, and every service follows on its
 * own, without a restart. REDIS_URL names the first primary, as a Sentinel-unaware client would
 * use it: such a client stays down after the kill (this spec's failure before Sentinel support).
 */
describe('services through Redis Sentinel follow a failover', () => {
  const services = new TestServices();
  let group: TestRedisSentinelGroup;
  let auth: ServiceProcess;
  let order: ServiceProcess;
  let cart: ServiceProcess;

  beforeAll(async () => {
    group = await services.track(
      TestRedisSentinelGroup.start({ replicas: 1, sentinels: 3 }),
    );
    const through = {
      REDIS_SENTINELS: group.sentinels,
      REDIS_SENTINEL_NAME: TEST_SENTINEL_NAME,
    };
    const firstPrimary = `redis://127.0.0.1:${await group.primaryPort()}`;
    auth = await services.auth(through, { redis: firstPrimary });
    order = await services.order(auth, through, { redis: firstPrimary });
    cart = await services.cart('redis', order, auth, {
      REDIS_URL: firstPrimary,
      ...through,
    });
  });
  afterAll(() => services.stop());

  /** Repeats `attempt` until it answers `status`; resolves to how long that took. */
  async function untilStatus(
    attempt: () => Promise<Response>,
    status: number,
  ): Promise<number> {
    const since = performance.now();
    let last = '';
    while (performance.now() - since < RECOVERY_BOUND_MS) {
      const response = await attempt().catch((error: Error) => error);
      if (response instanceof Response && response.status === status)
        return performance.now() - since;
      last =
        response instanceof Response
          ? `${response.status} ${await response.text()}`
          : response.message;
      await sleep(100);
    }
    throw new Error(
      `no ${status} within ${RECOVERY_BOUND_MS} ms after the kill; last: ${last}`,
    );
  }

  it('keeps logging in, placing orders and serving carts after the primary is SIGKILLed', async () => {
    const bearer = `Bearer ${(await login(auth)).access_token}`;
    const placeOrder = () =>
      fetch(`${order.url}/orders`, {
        method: 'POST',
        headers: { authorization: bearer, 'content-type': 'application/json' },
        body: JSON.stringify(americano),
      });
    const before = await placeOrder();
    expect(before.status).toBe(201);
    const { id } = (await before.json()) as { id: string };
    const shopper = new CartClient(cart.url, '/cart');
    await shopper.login((await login(auth)).access_token);
    expect((await shopper.add('latte', 1)).status).toBe(200);

    // Replicated before the kill (WAIT on the primary), so the promoted replica holds both
    // writes: this spec is about following the failover, not about asynchronous loss.
    const oldPrimary = await group.primaryPort();
    expect(await redisCommand(oldPrimary, ['WAIT', '1', '2000'])).toBe(1);
    await group.killNode(oldPrimary);
    const killedAt = performance.now();

    const orderBack = await untilStatus(placeOrder, 201);
    const newPrimary = await group.waitPromotion(oldPrimary, 5000);
    const cartBack = await untilStatus(() => shopper.add('latte', 1), 200);
    const loginBack = await untilStatus(
      () =>
        fetch(`${auth.url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'bob', password: 'bob-password' }),
        }),
      200,
    );
    process.stdout.write(
      `sentinel failover ${oldPrimary} -> ${newPrimary}: order 201 again after ${Math.round(orderBack)} ms, ` +
        `cart after +${Math.round(cartBack)} ms, login after +${Math.round(loginBack)} ms ` +
        `(${Math.round(performance.now() - killedAt)} ms since the kill)\n`,
    );

    // What was written before the kill is on the new primary; nothing restarted.
    const read = await fetch(`${order.url}/orders/${id}`, {
      headers: { authorization: bearer },
    });
    expect(read.status).toBe(200);
    const basket = (await (await shopper.show()).json()) as {
      items: Array<{ sku: string; qty: number }>;
    };
    expect(basket.items).toEqual([
      expect.objectContaining({ sku: 'latte', qty: 2 }),
    ]);
    expect([auth.isRunning, order.isRunning, cart.isRunning]).toEqual([
      true,
      true,
      true,
    ]);
  });

  it('answers 503 (not 500) while the primary refuses writes it cannot replicate (NOREPLICAS)', async () => {
    // More replicas asked for than the group has: the primary refuses every write, as an old
    // primary cut off from its replicas does (min-replicas-to-write).
    const bearer = `Bearer ${(await login(auth)).access_token}`;
    const primary = await group.primaryPort();
    await redisCommand(primary, [
      'CONFIG',
      'SET',
      'min-replicas-to-write',
      '2',
    ]);
    try {
      const refused = await fetch(`${order.url}/orders`, {
        method: 'POST',
        headers: { authorization: bearer, 'content-type': 'application/json' },
        body: JSON.stringify(americano),
      });
      expect(refused.status).toBe(503);
      // Order says more than the other services: its retry is safe with the same key.
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message:
          'Redis refuses writes (NOREPLICAS); retry with the same Idempotency-Key',
      });
      const shopper = new CartClient(cart.url, '/cart');
      const cartLogin = await shopper.call('POST', '/login', undefined, {
        authorization: bearer,
      });
      expect(cartLogin.status).toBe(503);
    } finally {
      await redisCommand(primary, [
        'CONFIG',
        'SET',
        'min-replicas-to-write',
        '0',
      ]);
    }
  });
});

describe('REDIS_SENTINELS is validated at start-up', () => {
  it.each([
    ['sentinel-0', 'REDIS_SENTINELS'],
    ['127.0.0.1:0', 'REDIS_SENTINELS'],
    ['127.0.0.1:26379,:26380', 'REDIS_SENTINELS'],
  ])('refuses %p in one line naming %s', async (value, variable) => {
    const service = await ServiceProcess.start(
      'order',
      {
        REDIS_URL: 'redis://127.0.0.1:1',
        AUTH_JWKS_URL: 'http://x/j',
        AUTH_ISSUER: 'i',
        REDIS_SENTINELS: value,
      },
      { waitReady: false },
    );
    const { code } = await service.exited;
    const output = service.output.join('');
    expect(code).toBe(1);
    expect(output).toContain(variable);
    expect(output.trim().split('\n')).toHaveLength(1);
  });

  it('stops in one line when no Sentinel answers', async () => {
    const service = await ServiceProcess.start(
      'order',
      {
        REDIS_URL: 'redis://127.0.0.1:1',
        AUTH_JWKS_URL: 'http://x/j',
        AUTH_ISSUER: 'i',
        REDIS_SENTINELS: '127.0.0.1:1',
      },
      { waitReady: false },
    );
    const { code } = await service.exited;
    const output = service.output.join('');
    expect(code).toBe(1);
    expect(output).toMatch(
      /order: cannot start: Redis Sentinel: cannot reach the master "mymaster" from Sentinels 127\.0\.0\.1:1/,
    );
  });
});

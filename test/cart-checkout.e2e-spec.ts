import { createClient } from 'redis';
import type { TestRedisServer } from './support/redis-server';
import type { ServiceProcess } from './support/service-process';
import { CartClient, login, TestServices } from './support/services';

describe('cart: the coffee-counter conversation, checkout and concurrent updates', () => {
  const services = new TestServices();
  let redis: TestRedisServer;
  let auth: ServiceProcess;
  let order: ServiceProcess;
  let redisCarts: ServiceProcess[];
  let memoryCart: ServiceProcess;
  let token: string;

  const ordersOf = async (accessToken: string) =>
    (await fetch(`${order.url}/orders`, {
      headers: { authorization: `Bearer ${accessToken}` },
    }).then((response) => response.json())) as Array<{
      id: string;
      total: number;
    }>;

  beforeAll(async () => {
    ({ redis, auth, order } = await services.backend());
    redisCarts = await Promise.all([
      services.cart('redis', order, auth),
      services.cart('redis', order, auth),
    ]);
    memoryCart = await services.cart('memory', order, auth);
    token = (await login(auth, 'bob')).access_token;
  });
  afterAll(() => services.stop());

  it('"two americanos" → "by card" → checkout: an order in the order service with the right total', async () => {
    const client = new CartClient(redisCarts[0].url, '/cart');
    await client.login(token);
    const before = await ordersOf(token);
    expect((await client.add('americano', 1)).status).toBe(200);
    expect((await client.add('americano', 1)).status).toBe(200);
    const paid = await (await client.pay('card')).json();
    expect(paid).toMatchObject({ total: 6000, payment: 'card' });

    const response = await client.checkout();
    expect(response.status).toBe(201);
    const placed = await response.json();
    expect(placed).toMatchObject({
      total: 6000,
      currency: 'KRW',
      payment: 'card',
    });
    expect(placed.items).toEqual([
      {
        sku: 'americano',
        name: 'Americano',
        qty: 2,
        unitPrice: 3000,
        lineTotal: 6000,
      },
    ]);
    const after = await ordersOf(token);
    expect(after).toHaveLength(before.length + 1);
    expect(after[0]).toMatchObject({ id: placed.id, total: 6000 });
    // The cart is emptied once the order is confirmed.
    expect(await (await client.show()).json()).toMatchObject({
      items: [],
      total: 0,
      payment: null,
    });
  });

  it('the session in Redis holds no bearer token in clear, and checkout still places the order with it', async () => {
    const client = new CartClient(redisCarts[0].url, '/cart');
    await client.login(token);
    await client.add('espresso', 1);
    await client.pay('card');
    const store = createClient({ url: redis.url });
    await store.connect();
    const stored = (await store.get(`sess:${client.sessionId}`)) as string;
    await store.close();
    expect(stored).toContain('"userId":"bob"');
    // No three-part JWT, nor any piece of this one (its header, payload or signature).
    expect(stored).not.toMatch(/eyJ[\w-]*\.[\w-]+\.[\w-]+/);
    for (const part of token.split('.')) expect(stored).not.toContain(part);

    const before = await ordersOf(token);
    client.baseUrl = redisCarts[1].url; // another replica opens the token the first one sealed
    const response = await client.checkout();
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ total: 2500 });
    expect(await ordersOf(token)).toHaveLength(before.length + 1);
  });

  it('a checkout retried after a failure between "order placed" and "cart emptied" places no second order', async () => {
    const client = new CartClient(redisCarts[0].url, '/cart');
    await client.login(token);
    await client.add('latte', 2);
    await client.pay('cash');
    // Snapshot the stored session, check out, then put the snapshot back: exactly the state a
    // crash after the order call but before the session save would have left behind.
    const store = createClient({ url: redis.url });
    await store.connect();
    const sessionKey = `sess:${client.sessionId}`;
    const snapshot = (await store.get(sessionKey)) as string;
    const before = await ordersOf(token);

    const first = await client.checkout();
    expect(first.status).toBe(201);
    const firstOrder = await first.json();
    await store.set(sessionKey, snapshot, { KEEPTTL: true });
    await store.close();

    client.baseUrl = redisCarts[1].url; // the retry lands on another replica
    const retried = await client.checkout();
    expect(retried.status).toBe(201);
    expect((await retried.json()).id).toBe(firstOrder.id);
    expect(await ordersOf(token)).toHaveLength(before.length + 1);
    expect(await (await client.show()).json()).toMatchObject({ items: [] });
  });

  it('the same items checked out again later are a new order (a new cart, a new key)', async () => {
    const client = new CartClient(redisCarts[1].url, '/cart');
    await client.login(token);
    const ids = [];
    for (let round = 0; round < 2; round++) {
      await client.add('tea', 1);
      await client.pay('card');
      const response = await client.checkout();
      expect(response.status).toBe(201);
      ids.push((await response.json()).id);
    }
    expect(ids[0]).not.toBe(ids[1]);
  });

  it.each([
    ['an empty cart', [], 'card', /cart is empty/],
    ['no payment chosen', [['espresso', 1]], undefined, /payment/],
  ] as const)(
    'checkout of %s is 400',
    async (_case, lines, payment, message) => {
      const client = new CartClient(redisCarts[0].url, '/cart');
      await client.login(token);
      for (const [sku, qty] of lines) await client.add(sku, qty);
      if (payment) await client.pay(payment);
      const response = await client.checkout();
      expect(response.status).toBe(400);
      expect((await response.json()).message).toMatch(message);
    },
  );

  it('DELETE items/:sku removes a line', async () => {
    const client = new CartClient(redisCarts[0].url, '/cart');
    await client.login(token);
    await client.add('tea', 1);
    await client.add('latte', 1);
    const response = await client.call('DELETE', '/items/tea');
    expect(response.status).toBe(200);
    expect(
      (await response.json()).items.map((line: { sku: string }) => line.sku),
    ).toEqual(['latte']);
  });

  it.each([
    [{ sku: 'americano', qty: -1 }, 'qty'],
    [{ sku: 'americano', qty: 0 }, 'qty'],
    [{ sku: 'americano', qty: 'two' }, 'qty'],
    [{ sku: 'frappuccino', qty: 1 }, 'sku'],
    [{ sku: 'americano', qty: 1, price: 1 }, 'price'],
  ])('POST items with %j is 400 naming %s', async (body, field) => {
    const client = new CartClient(redisCarts[0].url, '/cart');
    await client.login(token);
    const response = await client.call('POST', '/items', body);
    expect(response.status).toBe(400);
    expect(JSON.stringify((await response.json()).message)).toContain(field);
  });

  it('PUT payment with an unknown method is 400', async () => {
    const client = new CartClient(redisCarts[0].url, '/cart');
    await client.login(token);
    const response = await client.pay('iou');
    expect(response.status).toBe(400);
    expect(JSON.stringify((await response.json()).message)).toContain('method');
  });

  it.each([
    ['GET', ''],
    ['POST', '/items'],
    ['DELETE', '/items/tea'],
    ['PUT', '/payment'],
    ['POST', '/checkout'],
    ['POST', '/logout'],
  ])('%s %s without a session is 401 JSON', async (method, path) => {
    const client = new CartClient(redisCarts[0].url, '/cart');
    const response = await client.call(
      method,
      path,
      method === 'GET' ? undefined : {},
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      statusCode: 401,
      error: 'Unauthorized',
    });
  });

  it('Redis store: 40 parallel "add item" requests on one session across two replicas lose nothing', async () => {
    const client = new CartClient(redisCarts[0].url, '/cart');
    await client.login(token);
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, index) => {
        const replica = new CartClient(redisCarts[index % 2].url, '/cart');
        replica.cookie = client.cookie;
        return replica.add(index % 2 ? 'americano' : 'latte', 1);
      }),
    );
    expect(responses.map((response) => response.status)).toEqual(
      Array(40).fill(200),
    );
    const view = await (await client.show()).json();
    expect(view.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ sku: 'americano', qty: 20 }),
        expect.objectContaining({ sku: 'latte', qty: 20 }),
      ]),
    );
  });

  it('memory store: parallel "add item" requests on its one pod lose nothing either', async () => {
    const client = new CartClient(memoryCart.url, '/legacy-cart');
    await client.login(token);
    const responses = await Promise.all(
      Array.from({ length: 30 }, () => client.add('espresso', 1)),
    );
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect((await (await client.show()).json()).items).toEqual([
      expect.objectContaining({ sku: 'espresso', qty: 30 }),
    ]);
  });
});

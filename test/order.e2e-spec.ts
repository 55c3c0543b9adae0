import request from 'supertest';
import type { ServiceProcess } from './support/service-process';
import { login, TestServices } from './support/services';

const twoAmericanosByCard = {
  items: [{ sku: 'americano', qty: 2 }],
  payment: 'card',
};

describe('order: stateless ordering with a bearer token and the whole order in each request', () => {
  const services = new TestServices();
  let auth: ServiceProcess;
  let orderReplicas: ServiceProcess[];
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    auth = await services.auth();
    orderReplicas = await Promise.all([
      services.order(auth),
      services.order(auth),
    ]);
    alice = `Bearer ${(await login(auth, 'alice')).access_token}`;
    bob = `Bearer ${(await login(auth, 'bob')).access_token}`;
  });
  afterAll(() => services.stop());

  const [first, second] = [0, 1].map((index) => () => orderReplicas[index].url);

  it('GET /menu lists prices (americano 3000 KRW) without a token', async () => {
    const response = await request(first()).get('/menu').expect(200);
    expect(response.body.currency).toBe('KRW');
    expect(response.body.items).toContainEqual({
      sku: 'americano',
      name: 'Americano',
      price: 3000,
    });
  });

  it('POST /orders prices "2 americanos, paid by card" from the menu: 201, total 6000', async () => {
    const response = await request(first())
      .post('/orders')
      .set('authorization', alice)
      .send(twoAmericanosByCard)
      .expect(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      items: [
        {
          sku: 'americano',
          name: 'Americano',
          qty: 2,
          unitPrice: 3000,
          lineTotal: 6000,
        },
      ],
      total: 6000,
      currency: 'KRW',
      payment: 'card',
      createdAt: expect.any(String),
    });
    expect(response.headers['x-pod-name']).toBe(
      `order-${orderReplicas[0].port}`,
    );
  });

  it('stores orders in Redis: one replica creates, another reads it back', async () => {
    const created = await request(first())
      .post('/orders')
      .set('authorization', alice)
      .send({
        items: [
          { sku: 'latte', qty: 1 },
          { sku: 'tea', qty: 3 },
        ],
        payment: 'cash',
      })
      .expect(201);
    const read = await request(second())
      .get(`/orders/${created.body.id}`)
      .set('authorization', alice)
      .expect(200);
    expect(read.body).toEqual(created.body);
    expect(read.body.total).toBe(3500 + 3 * 2800);
    expect(read.headers['x-pod-name']).toBe(`order-${orderReplicas[1].port}`);
  });

  it("GET /orders lists only the caller's orders, newest first", async () => {
    const mine = await request(second())
      .get('/orders')
      .set('authorization', alice)
      .expect(200);
    expect(mine.body.length).toBeGreaterThanOrEqual(2);
    const times = mine.body.map(
      (order: { createdAt: string }) => order.createdAt,
    );
    expect([...times].sort().reverse()).toEqual(times);
    const bobs = await request(second())
      .get('/orders')
      .set('authorization', bob)
      .expect(200);
    expect(bobs.body).toEqual([]);
  });

  it("GET /orders/:id of another user's order is 404, like a missing one", async () => {
    const created = await request(first())
      .post('/orders')
      .set('authorization', alice)
      .send(twoAmericanosByCard)
      .expect(201);
    const response = await request(first())
      .get(`/orders/${created.body.id}`)
      .set('authorization', bob)
      .expect(404);
    expect(response.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: `order ${created.body.id} not found`,
    });
    await request(first())
      .get('/orders/00000000-0000-4000-8000-000000000000')
      .set('authorization', bob)
      .expect(404);
  });

  it('GET /orders/:id with a malformed id is 400', async () => {
    const response = await request(first())
      .get('/orders/xyz')
      .set('authorization', alice)
      .expect(400);
    expect(JSON.stringify(response.body.message)).toContain('UUID');
  });

  describe('Idempotency-Key', () => {
    it('same key + same body → the same order, marked as a replay', async () => {
      const key = `same-${Date.now()}`;
      const original = await request(first())
        .post('/orders')
        .set('authorization', alice)
        .set('idempotency-key', key)
        .send(twoAmericanosByCard)
        .expect(201);
      const retried = await request(second())
        .post('/orders')
        .set('authorization', alice)
        .set('idempotency-key', key)
        .send(twoAmericanosByCard)
        .expect(201);
      expect(retried.body).toEqual(original.body);
      expect(retried.headers['idempotent-replayed']).toBe('true');
      expect(original.headers['idempotent-replayed']).toBeUndefined();
    });

    it('same key + another body → 409', async () => {
      const key = `conflict-${Date.now()}`;
      await request(first())
        .post('/orders')
        .set('authorization', alice)
        .set('idempotency-key', key)
        .send(twoAmericanosByCard)
        .expect(201);
      const response = await request(second())
        .post('/orders')
        .set('authorization', alice)
        .set('idempotency-key', key)
        .send({ items: [{ sku: 'americano', qty: 3 }], payment: 'card' })
        .expect(409);
      expect(response.body.error).toBe('Conflict');
    });

    it('concurrent duplicates on two replicas create exactly one order', async () => {
      const key = `race-${Date.now()}`;
      const before = (
        await request(first()).get('/orders').set('authorization', bob)
      ).body.length;
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          request(orderReplicas[index % 2].url)
            .post('/orders')
            .set('authorization', bob)
            .set('idempotency-key', key)
            .send(twoAmericanosByCard),
        ),
      );
      expect(responses.map((response) => response.status)).toEqual(
        Array(20).fill(201),
      );
      expect(new Set(responses.map((response) => response.body.id)).size).toBe(
        1,
      );
      const after = (
        await request(first()).get('/orders').set('authorization', bob)
      ).body.length;
      expect(after - before).toBe(1);
    });

    it("keys are scoped per user: bob reusing alice's key gets a new order of his own", async () => {
      const key = `shared-${Date.now()}`;
      const alices = await request(first())
        .post('/orders')
        .set('authorization', alice)
        .set('idempotency-key', key)
        .send(twoAmericanosByCard)
        .expect(201);
      const bobs = await request(first())
        .post('/orders')
        .set('authorization', bob)
        .set('idempotency-key', key)
        .send(twoAmericanosByCard)
        .expect(201);
      expect(bobs.body.id).not.toBe(alices.body.id);
      await request(first())
        .get(`/orders/${bobs.body.id}`)
        .set('authorization', bob)
        .expect(200);
    });

    it('rejects a malformed key with 400', async () => {
      await request(first())
        .post('/orders')
        .set('authorization', alice)
        .set('idempotency-key', 'x'.repeat(300))
        .send(twoAmericanosByCard)
        .expect(400);
    });
  });

  describe('bad input gets 400 naming the field', () => {
    it.each([
      [
        'a negative quantity',
        { items: [{ sku: 'americano', qty: -1 }], payment: 'card' },
        'items.0.qty',
      ],
      [
        'a zero quantity',
        { items: [{ sku: 'americano', qty: 0 }], payment: 'card' },
        'items.0.qty',
      ],
      [
        'a fractional quantity',
        { items: [{ sku: 'americano', qty: 1.5 }], payment: 'card' },
        'items.0.qty',
      ],
      [
        'a quantity as a string',
        { items: [{ sku: 'americano', qty: '2' }], payment: 'card' },
        'items.0.qty',
      ],
      [
        'an unknown sku',
        { items: [{ sku: 'mocha-frappe', qty: 1 }], payment: 'card' },
        'items.0.sku',
      ],
      [
        'an unknown payment',
        { items: [{ sku: 'americano', qty: 1 }], payment: 'bitcoin' },
        'payment',
      ],
      ['no items', { items: [], payment: 'card' }, 'items'],
      [
        'a client-sent price',
        { items: [{ sku: 'americano', qty: 1, price: 1 }], payment: 'card' },
        'price',
      ],
      [
        'an unknown top-level field',
        { ...twoAmericanosByCard, total: 1 },
        'total',
      ],
      [
        'a missing payment',
        { items: [{ sku: 'americano', qty: 1 }] },
        'payment',
      ],
      [
        'more than 99 of one sku over two lines',
        {
          items: [
            { sku: 'latte', qty: 1 },
            { sku: 'americano', qty: 50 },
            { sku: 'americano', qty: 50 },
          ],
          payment: 'card',
        },
        'items.2.qty',
      ],
    ])('%s', async (_case, body, field) => {
      const response = await request(first())
        .post('/orders')
        .set('authorization', alice)
        .send(body)
        .expect(400);
      expect(response.body).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
      });
      expect(JSON.stringify(response.body.message)).toContain(field);
    });

    it('20 lines of one sku (1,980 americanos) are 400: the cap of 99 is per sku, not per line', async () => {
      const response = await request(first())
        .post('/orders')
        .set('authorization', alice)
        .send({
          items: Array.from({ length: 20 }, () => ({
            sku: 'americano',
            qty: 99,
          })),
          payment: 'card',
        })
        .expect(400);
      expect(response.body).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
      });
      expect(JSON.stringify(response.body.message)).toContain(
        'at most 99 americano per order',
      );
    });

    it('several lines of one sku adding up to 99 are one valid order', async () => {
      const response = await request(first())
        .post('/orders')
        .set('authorization', alice)
        .send({
          items: [
            { sku: 'americano', qty: 50 },
            { sku: 'americano', qty: 49 },
          ],
          payment: 'card',
        })
        .expect(201);
      expect(response.body.total).toBe(99 * 3000);
    });

    it('a 2 MB body is 413', async () => {
      await request(first())
        .post('/orders')
        .set('authorization', alice)
        .set('content-type', 'application/json')
        .send(
          JSON.stringify({
            ...twoAmericanosByCard,
            note: 'x'.repeat(2_000_000),
          }),
        )
        .expect(413);
    });
  });

  it('an unknown route is a JSON 404 with the pod name', async () => {
    const response = await request(first()).get('/nothing-here').expect(404);
    expect(response.body).toMatchObject({
      statusCode: 404,
      error: 'Not Found',
    });
    expect(response.headers['x-pod-name']).toBeDefined();
  });
});

import request from 'supertest';
import { metricSample } from './support/metrics';
import type { ServiceProcess } from './support/service-process';
import { CartClient, login, TestServices } from './support/services';

describe('observability: /metrics tells the story in numbers', () => {
  const services = new TestServices();
  let auth: ServiceProcess;
  let order: ServiceProcess;
  let legacy: ServiceProcess | undefined;
  let token: string;

  beforeAll(async () => {
    ({ auth, order } = await services.backend());
    token = (await login(auth)).access_token;
  });
  afterAll(() => services.stop());

  it('serves Prometheus text with process metrics and the pod and app as labels', async () => {
    const response = await request(order.url).get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.text).toContain(
      `process_resident_memory_bytes{app="order",pod="order-${order.port}"}`,
    );
    expect(response.text).toMatch(/nodejs_eventloop_lag_seconds/);
  });

  it('counts orders created and idempotent replays, and times requests by route pattern', async () => {
    const created = await metricSample(order, 'orders_created_total');
    const replays = await metricSample(order, 'idempotent_replays_total');
    const body = { items: [{ sku: 'americano', qty: 2 }], payment: 'card' };
    const key = `metrics-${Date.now()}`;
    const first = await request(order.url)
      .post('/orders')
      .set('authorization', `Bearer ${token}`)
      .set('idempotency-key', key)
      .send(body)
      .expect(201);
    await request(order.url)
      .post('/orders')
      .set('authorization', `Bearer ${token}`)
      .set('idempotency-key', key)
      .send(body)
      .expect(201);
    await request(order.url)
      .get(`/orders/${first.body.id}`)
      .set('authorization', `Bearer ${token}`)
      .expect(200);
    expect(await metricSample(order, 'orders_created_total')).toBe(created + 1);
    expect(await metricSample(order, 'idempotent_replays_total')).toBe(
      replays + 1,
    );
    expect(
      await metricSample(order, 'http_request_duration_seconds_count', {
        method: 'GET',
        route: '/orders/:id',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('counts JWT verification failures by reason', async () => {
    const before = await metricSample(
      order,
      'jwt_verification_failures_total',
      {
        reason: 'malformed',
      },
    );
    await request(order.url)
      .get('/orders')
      .set('authorization', 'Bearer not-a-jwt')
      .expect(401);
    await request(order.url)
      .get('/orders')
      .set('authorization', 'Bearer still.not.a-jwt')
      .expect(401);
    expect(
      await metricSample(order, 'jwt_verification_failures_total', {
        reason: 'malformed',
      }),
    ).toBe(before + 2);
  });

  it('counts sessions created, and sessions missing after the memory store died with its pod', async () => {
    legacy = await services.cart('memory', order, auth);
    const client = new CartClient(legacy.url, '/legacy-cart');
    await client.login(token);
    expect(
      await metricSample(legacy, 'sessions_created_total', { store: 'memory' }),
    ).toBe(1);
    await legacy.stop('SIGKILL');
    legacy = await services.cart('memory', order, auth, {
      PORT: String(legacy.port),
    });
    expect((await client.show()).status).toBe(401);
    expect(
      await metricSample(legacy, 'sessions_missing_total', { store: 'memory' }),
    ).toBe(1);
    // An anonymous request is not a lost session.
    expect(
      (await new CartClient(legacy.url, '/legacy-cart').show()).status,
    ).toBe(401);
    expect(
      await metricSample(legacy, 'sessions_missing_total', { store: 'memory' }),
    ).toBe(1);
  });
});

import type { TestRedisServer } from './support/redis-server';
import type { ServiceProcess } from './support/service-process';
import { login, startOrder, TestServices } from './support/services';

/**
 * One order build on both Nest adapters (HTTP_ADAPTER, the bench's switch): Fastify by default,
 * Express on request. The platform's conventions must look the same from outside on either, so
 * every request below gets the same status, body and conventional headers from both.
 */
describe('order on Fastify and on Express answers alike', () => {
  const services = new TestServices();
  let redis: TestRedisServer;
  let auth: ServiceProcess;
  let onFastify: ServiceProcess;
  let onExpress: ServiceProcess;
  let bearer: string;

  beforeAll(async () => {
    redis = await services.redis();
    auth = await services.auth();
    [onFastify, onExpress] = await Promise.all([
      services.order(auth),
      services.order(auth, { HTTP_ADAPTER: 'express' }),
    ]);
    bearer = `Bearer ${(await login(auth, 'alice')).access_token}`;
  });
  afterAll(() => services.stop());

  it('order and auth run on Fastify by default, order on Express when asked', () => {
    expect(onFastify.output.join('')).toMatch(/HTTP adapter: fastify/);
    expect(auth.output.join('')).toMatch(/HTTP adapter: fastify/);
    expect(onExpress.output.join('')).toMatch(/HTTP adapter: express/);
  });

  /** What a client can see of one answer: status, JSON body, the headers the platform sets. */
  async function seen(
    service: ServiceProcess,
    path: string,
    init: RequestInit = {},
  ) {
    const response = await fetch(`${service.url}${path}`, init);
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as unknown) : text,
      contentType: response.headers.get('content-type'),
      requestId: response.headers.get('x-request-id'),
      podName: response.headers.get('x-pod-name') === `order-${service.port}`,
      poweredBy: response.headers.get('x-powered-by'),
    };
  }

  const json = { 'content-type': 'application/json' };
  const cases: Array<[string, string, () => RequestInit]> = [
    ['the public menu', '/menu', () => ({})],
    ['an unknown route (404)', '/nothing-here', () => ({})],
    ['a trailing slash', '/menu/', () => ({})],
    ['no bearer token (401)', '/orders', () => ({})],
    [
      'a caller request id, echoed',
      '/menu',
      () => ({ headers: { 'x-request-id': 'caller-id-1' } }),
    ],
    [
      'a long malformed order id (400)',
      `/orders/${'x'.repeat(300)}`,
      () => ({ headers: { authorization: bearer } }),
    ],
    [
      'malformed JSON (400)',
      '/orders',
      () => ({
        method: 'POST',
        headers: { ...json, authorization: bearer },
        body: '{"items":',
      }),
    ],
    [
      'a JSON scalar (strict JSON: 400)',
      '/orders',
      () => ({
        method: 'POST',
        headers: { ...json, authorization: bearer },
        body: '42',
      }),
    ],
    [
      'an empty JSON body (400)',
      '/orders',
      () => ({
        method: 'POST',
        headers: { ...json, authorization: bearer },
        body: '',
      }),
    ],
    [
      'a text/plain body (400, not parsed)',
      '/orders',
      () => ({
        method: 'POST',
        headers: { 'content-type': 'text/plain', authorization: bearer },
        body: 'hello',
      }),
    ],
    [
      'a body over 100kb (413)',
      '/orders',
      () => ({
        method: 'POST',
        headers: { ...json, authorization: bearer },
        body: JSON.stringify({ note: 'x'.repeat(150_000) }),
      }),
    ],
    [
      'an invalid order (400, schema)',
      '/orders',
      () => ({
        method: 'POST',
        headers: { ...json, authorization: bearer, 'idempotency-key': 'k-1' },
        body: JSON.stringify({ items: [], payment: 'card' }),
      }),
    ],
  ];

  it.each(cases)('%s', async (_name, path, init) => {
    const [fastify, express] = await Promise.all([
      seen(onFastify, path, init()),
      seen(onExpress, path, init()),
    ]);
    // A fresh UUID per request, unless the caller sent a sane one: then that one, on both.
    const sent = (init().headers as Record<string, string> | undefined)?.[
      'x-request-id'
    ];
    const requestId = sent ?? expect.stringMatching(/^[0-9a-f-]{36}$/);
    expect(fastify).toEqual({ ...express, requestId });
    expect(express.requestId).toEqual(requestId);
    expect(fastify.podName).toBe(true);
    expect(fastify.poweredBy).toBeNull();
  });

  it('refuses to start with an unknown HTTP_ADAPTER, naming the variable', async () => {
    await expect(
      startOrder(redis.url, auth, { HTTP_ADAPTER: 'koa' }),
    ).rejects.toThrow(/HTTP_ADAPTER/);
  });
});

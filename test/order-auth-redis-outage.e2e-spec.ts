import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestRedisServer } from './support/redis-server';
import type { ServiceProcess } from './support/service-process';
import { type Backend, login, TestServices } from './support/services';

const americano = { items: [{ sku: 'americano', qty: 1 }], payment: 'card' };

/**
 * order and auth with their Redis hung or gone: every call to Redis is bounded
 * (REDIS_COMMAND_TIMEOUT_MS, 1 s by default), so a request answers 503 instead of hanging; the
 * pod stays alive and recovers on its own. Also where the logs of a failed request are checked: a 5xx is the one line written
 * inside a request besides the access line, and both must name its request id.
 */
describe('order and auth with their Redis hung or down', () => {
  const services = new TestServices();
  let backend: Backend;
  let orderRedis: TestRedisServer;
  let order: ServiceProcess;
  let bearer: string;

  beforeAll(async () => {
    backend = await services.backend();
    orderRedis = await services.startRedis({ appendOnly: true });
    order = await services.order(backend.auth, {}, { redis: orderRedis });
    bearer = `Bearer ${(await login(backend.auth)).access_token}`;
  });
  afterAll(() => services.stop());

  const call = (method: 'GET' | 'POST', requestId?: string) =>
    fetch(`${order.url}/orders`, {
      method,
      headers: {
        authorization: bearer,
        'content-type': 'application/json',
        ...(requestId ? { 'x-request-id': requestId } : {}),
      },
      body: method === 'POST' ? JSON.stringify(americano) : undefined,
    });

  async function recovered(): Promise<Response> {
    const since = performance.now();
    let response = await call('GET');
    while (response.status !== 200 && performance.now() - since < 10_000) {
      await sleep(50);
      response = await call('GET');
    }
    return response;
  }

  it('answers 503 after the command timeout when Redis hangs (reads and writes), and recovers', async () => {
    const placed = await call('POST');
    expect(placed.status).toBe(201);
    const { id } = (await placed.json()) as { id: string };

    orderRedis.pause();
    try {
      const hungAt = performance.now();
      const [read, write] = await Promise.all([call('GET'), call('POST')]);
      const timeTo503 = performance.now() - hungAt;
      expect([read.status, write.status]).toEqual([503, 503]);
      expect(await read.json()).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'Redis is unavailable; try again shortly',
      });
      // 1 s deadline; the margin is for a busy 2-core machine.
      expect(timeTo503).toBeGreaterThanOrEqual(900);
      expect(timeTo503).toBeLessThan(2500);
      expect((await fetch(`${order.url}/healthz/live`)).status).toBe(200);
      process.stdout.write(
        `order/redis hung: 503 after ${Math.round(timeTo503)} ms\n`,
      );
    } finally {
      orderRedis.resume();
    }
    const after = await recovered();
    expect(after.status).toBe(200);
    expect(
      ((await after.json()) as Array<{ id: string }>).map((o) => o.id),
    ).toContain(id);
  });

  it('answers 503 at once when Redis is down; the failed request is logged with its request id', async () => {
    await orderRedis.kill();
    const requestId = `outage-${randomUUID()}`;
    const failedAt = performance.now();
    const response = await call('GET', requestId);
    expect(response.status).toBe(503);
    expect(performance.now() - failedAt).toBeLessThan(1500);
    await orderRedis.launch();
    expect((await recovered()).status).toBe(200);

    const lines = order.output
      .join('')
      .split('\n')
      .filter((line) => line.includes(requestId))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        app: 'order',
        context: 'Errors',
        req: expect.objectContaining({ id: requestId, url: '/orders' }),
        err: expect.objectContaining({ type: expect.any(String) }),
        msg: 'unhandled error',
      }),
      expect.objectContaining({
        level: 50,
        req: { id: requestId, method: 'GET', url: '/orders' },
        res: { statusCode: 503 },
        responseTime: expect.any(Number),
        userId: 'alice',
        msg: 'request errored',
      }),
    ]);
  });

  it('auth answers 503 after the command timeout when its Redis hangs (login, refresh), and recovers', async () => {
    const { auth, redis } = backend;
    const { refresh_token } = await login(auth);
    const post = (path: string, body: object) =>
      fetch(`${auth.url}/auth/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    redis.pause();
    try {
      const hungAt = performance.now();
      const [loginAttempt, refresh] = await Promise.all([
        post('login', { username: 'bob', password: 'bob-password' }),
        post('refresh', { refresh_token }),
      ]);
      const timeTo503 = performance.now() - hungAt;
      expect([loginAttempt.status, refresh.status]).toEqual([503, 503]);
      expect(timeTo503).toBeGreaterThanOrEqual(900);
      expect(timeTo503).toBeLessThan(2500);
      process.stdout.write(
        `auth/redis hung: 503 after ${Math.round(timeTo503)} ms\n`,
      );
    } finally {
      redis.resume();
    }
    const since = performance.now();
    let again = await post('login', {
      username: 'bob',
      password: 'bob-password',
    });
    while (again.status !== 200 && performance.now() - since < 10_000) {
      await sleep(50);
      again = await post('login', {
        username: 'bob',
        password: 'bob-password',
      });
    }
    expect(again.status).toBe(200);
  });

  it('logs its start-up through pino once it is ready (nothing held back)', () => {
    const output = order.output.join('');
    expect(output).toMatch(
      /"msg":"[^"]* listening on 0\.0\.0\.0:\d+, ready in \d+ ms"/,
    );
    expect(output).toContain('"context":"Redis"');
  });
});

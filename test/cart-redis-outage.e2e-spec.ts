import { setTimeout as sleep } from 'node:timers/promises';
import type { TestRedisServer } from './support/redis-server';
import type { ServiceProcess } from './support/service-process';
import {
  CartClient,
  type JsonResponse,
  login,
  TestServices,
} from './support/services';

/**
 * With the session store down, cart requests fail fast with a 503 naming the store, the process
 * stays up (liveness green), and it recovers on its own when Redis returns.
 */
describe('cart with its Redis session store down', () => {
  const services = new TestServices();
  let sessionRedis: TestRedisServer;
  let auth: ServiceProcess;
  let order: ServiceProcess;
  let cart: ServiceProcess;

  beforeAll(async () => {
    ({ auth, order } = await services.backend());
    sessionRedis = await services.startRedis({ appendOnly: true });
    cart = await services.cart('redis', order, auth, {
      REDIS_URL: sessionRedis.url,
    });
  });
  afterAll(() => services.stop());

  it('answers 503 within about a second, stays alive, and recovers when Redis is back', async () => {
    const client = new CartClient(cart.url, '/cart');
    await client.login((await login(auth)).access_token);
    await client.add('americano', 2);

    await sessionRedis.kill();
    const failedAt = performance.now();
    const during = await client.show();
    const timeTo503 = performance.now() - failedAt;
    expect(during.status).toBe(503);
    expect(await during.json()).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'session store (redis) is unavailable; try again shortly',
    });
    expect(timeTo503).toBeLessThan(1500);
    // Repeated calls stay fast: no queue building up behind the outage.
    const repeatedAt = performance.now();
    expect((await client.add('latte', 1)).status).toBe(503);
    expect(performance.now() - repeatedAt).toBeLessThan(1500);
    expect((await fetch(`${cart.url}/healthz/live`)).status).toBe(200);
    expect(cart.isRunning).toBe(true);

    await sessionRedis.launch();
    const restartedAt = performance.now();
    let recovered: JsonResponse | undefined;
    while (performance.now() - restartedAt < 10_000) {
      recovered = await client.show();
      if (recovered.status === 200) break;
      await sleep(50);
    }
    const timeToRecover = performance.now() - restartedAt;
    expect(recovered?.status).toBe(200);
    // AOF kept the session through the Redis restart; the cart process was never restarted.
    expect(await recovered?.json()).toMatchObject({ total: 6000 });
    expect(cart.isRunning).toBe(true);
    process.stdout.write(
      `cart/redis outage: 503 after ${Math.round(timeTo503)} ms; recovered ${Math.round(timeToRecover)} ms after Redis restarted\n`,
    );
  });

  it('answers 503 after the command timeout when Redis hangs, and recovers when it resumes', async () => {
    const client = new CartClient(cart.url, '/cart');
    await client.login((await login(auth)).access_token);
    await client.add('tea', 1);

    sessionRedis.pause();
    const hungAt = performance.now();
    const during = await client.show();
    const timeTo503 = performance.now() - hungAt;
    sessionRedis.resume();
    expect(during.status).toBe(503);
    expect(timeTo503).toBeLessThan(2500);
    expect((await fetch(`${cart.url}/healthz/live`)).status).toBe(200);

    let recovered: JsonResponse | undefined;
    const resumedAt = performance.now();
    while (performance.now() - resumedAt < 10_000) {
      recovered = await client.show();
      if (recovered.status === 200) break;
      await sleep(50);
    }
    expect(recovered?.status).toBe(200);
    expect(await recovered?.json()).toMatchObject({ total: 2800 });
    process.stdout.write(
      `cart/redis hung: 503 after ${Math.round(timeTo503)} ms\n`,
    );
  });
});

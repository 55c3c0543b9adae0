import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import type { TestRedisServer } from './support/redis-server';
import type { ServiceProcess } from './support/service-process';
import {
  CartClient,
  login,
  TEST_SESSION_SECRET,
  TestServices,
} from './support/services';

/**
 * The stateful legacy cart: an express-session kept in Redis (`cart`) or in process memory
 * (`cart-legacy`). Same code, different store, different fate when a pod dies.
 */
describe('cart sessions: Redis store vs memory store', () => {
  const services = new TestServices();
  let redis: TestRedisServer;
  let auth: ServiceProcess;
  let order: ServiceProcess;
  let token: string;
  const cart = (
    store: 'redis' | 'memory',
    environment: Record<string, string> = {},
  ) => services.cart(store, order, auth, environment);
  const sessionKeys = async () => {
    const client = createClient({ url: redis.url });
    await client.connect();
    const found = await client.keys('sess:*');
    await client.close();
    return found;
  };

  beforeAll(async () => {
    ({ redis, auth, order } = await services.backend());
    token = (await login(auth)).access_token;
  });
  afterAll(() => services.stop());

  it('Redis store: a session created on one replica is readable on another', async () => {
    const [a, b] = await Promise.all([cart('redis'), cart('redis')]);
    const client = new CartClient(a.url, '/cart');
    await client.login(token);
    await client.add('americano', 2);
    client.baseUrl = b.url;
    const response = await client.show();
    expect(response.status).toBe(200);
    const view = await response.json();
    expect(view).toMatchObject({
      user: 'alice',
      total: 6000,
      sessionCreatedBy: `cart-${a.port}`,
    });
    expect(response.headers.get('x-pod-name')).toBe(`cart-${b.port}`);
  });

  it('memory store: the same session on another replica is unknown (401)', async () => {
    const [a, b] = await Promise.all([cart('memory'), cart('memory')]);
    const client = new CartClient(a.url, '/legacy-cart');
    await client.login(token);
    expect((await client.add('americano', 2)).status).toBe(200);
    client.baseUrl = b.url;
    const response = await client.show();
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      statusCode: 401,
      error: 'Unauthorized',
    });
  });

  it('memory store: SIGKILL of the pod that holds the session loses it', async () => {
    const pod = await cart('memory');
    const client = new CartClient(pod.url, '/legacy-cart');
    await client.login(token);
    await client.add('latte', 1);
    await pod.stop('SIGKILL');
    const replacement = await cart('memory', { PORT: String(pod.port) });
    expect(replacement.pid).not.toBe(pod.pid);
    expect((await client.show()).status).toBe(401);
  });

  it('Redis store: the session and cart survive SIGKILL of every cart process and a restart', async () => {
    const [a, b] = await Promise.all([cart('redis'), cart('redis')]);
    const client = new CartClient(a.url, '/cart');
    await client.login(token);
    await client.add('cappuccino', 3);
    await client.pay('cash');
    await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
    const restarted = await cart('redis');
    client.baseUrl = restarted.url;
    const response = await client.show();
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      total: 3 * 3500,
      payment: 'cash',
      sessionCreatedBy: `cart-${a.port}`,
    });
  });

  describe('session settings', () => {
    let pod: ServiceProcess;
    beforeAll(async () => {
      pod = await cart('redis');
    });

    it('cookie flags: own name, HttpOnly, SameSite=Lax, path of the prefix, no Secure over http', async () => {
      const client = new CartClient(pod.url, '/cart');
      const response = await client.login(token);
      const setCookie = response.headers.get('set-cookie') as string;
      expect(setCookie).toMatch(/^cart_sid=s%3A/);
      expect(setCookie).toMatch(/; HttpOnly/);
      expect(setCookie).toMatch(/; SameSite=Lax/);
      expect(setCookie).toMatch(/; Path=\/cart;/);
      expect(setCookie).not.toMatch(/; Secure/);
    });

    it('cookie flags: Secure behind a TLS-terminating proxy (X-Forwarded-Proto: https)', async () => {
      const client = new CartClient(pod.url, '/cart');
      const response = await client.call('POST', '/login', undefined, {
        authorization: `Bearer ${token}`,
        'x-forwarded-proto': 'https',
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('set-cookie')).toMatch(/; Secure/);
    });

    it('saveUninitialized: false — anonymous requests create no session and no Redis key', async () => {
      const before = await sessionKeys();
      const anonymous = new CartClient(pod.url, '/cart');
      const responses = [
        await anonymous.show(),
        await anonymous.add('americano', 1),
      ];
      for (const response of responses) {
        expect(response.status).toBe(401);
        expect(response.headers.get('set-cookie')).toBeNull();
      }
      expect((await sessionKeys()).sort()).toEqual(before.sort());
    });

    it('login without a valid bearer token is 401 and creates no session', async () => {
      const client = new CartClient(pod.url, '/cart');
      const response = await client.call('POST', '/login', undefined, {
        authorization: 'Bearer not-a-jwt',
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('set-cookie')).toBeNull();
    });

    it('session fixation: logging in with a planted session cookie issues a new session id', async () => {
      const victim = new CartClient(pod.url, '/cart');
      await victim.login(token);
      const planted = victim.cookie as string;
      const plantedId = victim.sessionId;
      await victim.login(token);
      expect(victim.sessionId).toBeDefined();
      expect(victim.sessionId).not.toBe(plantedId);
      const attacker = new CartClient(pod.url, '/cart');
      attacker.cookie = planted;
      expect((await attacker.show()).status).toBe(401);
      expect((await victim.show()).status).toBe(200);
    });

    it('logout: 204, and the old cookie is dead afterwards', async () => {
      const client = new CartClient(pod.url, '/cart');
      await client.login(token);
      const oldCookie = client.cookie as string;
      const response = await client.logout();
      expect(response.status).toBe(204);
      const replay = new CartClient(pod.url, '/cart');
      replay.cookie = oldCookie;
      expect((await replay.show()).status).toBe(401);
    });
  });

  it('secret rotation: a cookie signed with the old secret works after rotation; dropping the old secret ends it', async () => {
    const oldSecrets = { SESSION_SECRETS: TEST_SESSION_SECRET };
    const before = await cart('redis', oldSecrets);
    const client = new CartClient(before.url, '/cart');
    await client.login(token);
    await client.add('espresso', 1);
    const oldCookie = client.cookie as string;
    await before.stop();

    const newSecret = 'rotated-session-secret-abcdefghijklmnop';
    const rotated = await cart('redis', {
      SESSION_SECRETS: `${newSecret},${TEST_SESSION_SECRET}`,
    });
    client.baseUrl = rotated.url;
    const response = await client.show();
    expect(response.status).toBe(200);
    expect((await response.json()).total).toBe(2500);
    // The rolling cookie is re-signed with the new (first) secret.
    expect(client.cookie).not.toBe(oldCookie);

    const withoutOld = await cart('redis', { SESSION_SECRETS: newSecret });
    const stale = new CartClient(withoutOld.url, '/cart');
    stale.cookie = oldCookie;
    expect((await stale.show()).status).toBe(401);
    client.baseUrl = withoutOld.url;
    expect((await client.show()).status).toBe(200);
  });

  it('idle timeout with rolling expiry: activity keeps the session, 3 s of silence ends it', async () => {
    const pod = await cart('redis', { SESSION_IDLE_TIMEOUT_SECONDS: '3' });
    const client = new CartClient(pod.url, '/cart');
    await client.login(token);
    // Active for 4.4 s in all, longer than the idle timeout: each response pushes the expiry on.
    for (let step = 0; step < 4; step++) {
      await sleep(1100);
      expect((await client.show()).status).toBe(200);
    }
    await sleep(3600);
    expect((await client.show()).status).toBe(401);
  });

  it('absolute timeout: even an active session ends after SESSION_ABSOLUTE_TIMEOUT_SECONDS', async () => {
    const pod = await cart('redis', { SESSION_ABSOLUTE_TIMEOUT_SECONDS: '3' });
    const client = new CartClient(pod.url, '/cart');
    // Counted from the server's own record of the login, not from when the request was sent.
    const createdAt = Date.parse(
      (await (await client.login(token)).json()).sessionCreatedAt,
    );
    expect((await client.show()).status).toBe(200);
    await sleep(1000);
    expect((await client.show()).status).toBe(200);
    await sleep(Math.max(0, createdAt + 3300 - Date.now()));
    const expired = await client.show();
    expect(expired.status).toBe(401);
    expect((await expired.json()).message).toMatch(/absolute lifetime/);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { metricSample } from './support/metrics';
import type { ServiceProcess } from './support/service-process';
import { CartClient, login, TestServices } from './support/services';

const MAX_PER_USER = 3;

/**
 * One token must not grow the session store without bound: at most SESSION_MAX_PER_USER live
 * sessions per user and store (a new login revokes that user's oldest), and the memory store of
 * the legacy cart forgets idle sessions instead of keeping every one until the pod dies.
 */
describe('cart: bounded sessions', () => {
  const services = new TestServices();
  let auth: ServiceProcess;
  let order: ServiceProcess;
  let alice: string;
  let bob: string;
  const cart = (
    store: 'redis' | 'memory',
    environment: Record<string, string> = {},
  ) =>
    services.cart(store, order, auth, {
      SESSION_MAX_PER_USER: String(MAX_PER_USER),
      ...environment,
    });
  /** The users of every session the Redis store holds. */
  const storedSessionUsers = async () => {
    const client = createClient({ url: (await services.redis()).url });
    await client.connect();
    const keys = await client.keys('sess:*');
    const values = keys.length ? await client.mGet(keys) : [];
    await client.close();
    return values.map((value) => JSON.parse(value as string).userId as string);
  };

  beforeAll(async () => {
    ({ auth, order } = await services.backend());
    [alice, bob] = await Promise.all([
      login(auth, 'alice').then((tokens) => tokens.access_token),
      login(auth, 'bob').then((tokens) => tokens.access_token),
    ]);
  });
  afterAll(() => services.stop());

  describe.each([
    ['redis', '/cart'],
    ['memory', '/legacy-cart'],
  ] as const)('%s store', (store, prefix) => {
    let replicas: ServiceProcess[];
    beforeAll(async () => {
      // Two Redis replicas share one limit; a memory store is its own pod's.
      replicas = await Promise.all(
        store === 'redis' ? [cart(store), cart(store)] : [cart(store)],
      );
    });

    it(`login number ${MAX_PER_USER + 1} of one user revokes the first session (401); the others and other users' stay`, async () => {
      const bobsCart = new CartClient(replicas[0].url, prefix);
      await bobsCart.login(bob);
      const sessions = [];
      for (let index = 0; index <= MAX_PER_USER; index++) {
        const client = new CartClient(
          replicas[index % replicas.length].url,
          prefix,
        );
        await client.login(alice);
        expect((await client.add('americano', 1)).status).toBe(200);
        sessions.push(client);
      }
      const [first, ...rest] = sessions;
      const revoked = await first.show();
      expect(revoked.status).toBe(401);
      expect(await revoked.json()).toMatchObject({
        statusCode: 401,
        error: 'Unauthorized',
      });
      for (const client of rest) expect((await client.show()).status).toBe(200);
      expect((await bobsCart.show()).status).toBe(200);
    });

    it('a revoked session stays revoked even when a write on it is in flight (30 trials)', async () => {
      const survivors: number[] = [];
      for (let trial = 0; trial < 30; trial++) {
        const old = new CartClient(replicas[0].url, prefix);
        await old.login(alice);
        // "Add item" after "add item" on the oldest session (each reads it, then writes it
        // back) while the logins that revoke it arrive at a random moment.
        let revoking = true;
        const statuses: number[] = [];
        const writes = (async () => {
          while (revoking || statuses.length < 3) {
            const status = (await old.add('latte', 1)).status;
            statuses.push(status);
            if (status === 401) break;
          }
        })();
        await sleep(Math.random() * 20);
        await Promise.all(
          Array.from({ length: MAX_PER_USER }, () =>
            new CartClient(replicas[trial % replicas.length].url, prefix).login(
              alice,
            ),
          ),
        );
        revoking = false;
        await writes;
        // Each write either made it before the revocation or is told the session is gone.
        for (const status of statuses) expect([200, 401]).toContain(status);
        if ((await old.show()).status !== 401) survivors.push(trial);
      }
      expect(survivors).toEqual([]);
    });
  });

  it(`Redis store: 20 parallel logins of one user across two replicas leave exactly ${MAX_PER_USER} live sessions (10 rounds)`, async () => {
    const replicas = await Promise.all([cart('redis'), cart('redis')]);
    for (let round = 0; round < 10; round++) {
      const clients = Array.from(
        { length: 20 },
        (_, index) => new CartClient(replicas[index % 2].url, '/cart'),
      );
      await Promise.all(clients.map((client) => client.login(bob)));
      const statuses = await Promise.all(
        clients.map(async (client) => (await client.show()).status),
      );
      expect(statuses.filter((status) => status === 200)).toHaveLength(
        MAX_PER_USER,
      );
      expect(
        (await storedSessionUsers()).filter((user) => user === 'bob'),
      ).toHaveLength(MAX_PER_USER);
    }
  });

  it('memory store: 40 logins of two users keep only their newest sessions in memory', async () => {
    const pod = await cart('memory');
    for (let index = 0; index < 40; index++) {
      await new CartClient(pod.url, '/legacy-cart').login(
        index % 2 ? alice : bob,
      );
    }
    expect(await metricSample(pod, 'sessions_in_memory')).toBe(
      2 * MAX_PER_USER,
    );
  });

  it('memory store: idle sessions are pruned from memory without anyone asking for them', async () => {
    const pod = await cart('memory', { SESSION_IDLE_TIMEOUT_SECONDS: '2' });
    await new CartClient(pod.url, '/legacy-cart').login(alice);
    await new CartClient(pod.url, '/legacy-cart').login(bob);
    expect(await metricSample(pod, 'sessions_in_memory')).toBe(2);
    // Only /metrics is asked meanwhile: no request names either session.
    await sleep(5000);
    expect(await metricSample(pod, 'sessions_in_memory')).toBe(0);
  });
});

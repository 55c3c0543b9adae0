import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterDriver } from '../../tools/drivers/cluster-driver';
import { createDriver } from '../../tools/drivers/create-driver';
import { KubernetesDriver } from '../../tools/drivers/k8s-driver';
import { LocalDriver } from '../../tools/drivers/local-driver';
import {
  failures,
  steadyLoad,
  type LoadSample,
} from '../../tools/client/steady-load';
import { onceAnswered, StoryUser } from '../../tools/client/story-client';
import { DEV_AUTH_USERS } from '../../tools/secrets/generate-dev-secrets';
import { secretsIn } from '../support/secrets-in-logs';

/** `alice:pw,bob:pw` → the two passwords the suite logs in with. */
function clusterPasswords(users: string): { alice: string; bob: string } {
  const entries = Object.fromEntries(
    users.split(',').map((pair) => pair.split(':') as [string, string]),
  );
  if (!entries.alice || !entries.bob)
    throw new Error(`E2E_USERS must include alice and bob, got "${users}"`);
  return { alice: entries.alice, bob: entries.bob };
}

const onCluster = process.env.E2E_TARGET === 'k8s';
/** What needs the local stack's own machinery: its gateway switch, its pods' log files. */
const localStackOnly = onCluster ? it.skip : it;

/**
 * What survives a pod kill, asserted through the entry point only, as a user would see it.
 * Runs against a fresh local stack (E2E_TARGET=local, default) or a cluster (E2E_TARGET=k8s,
 * `npm run test:cluster` runs it against the real one of tools/cluster).
 */
describe('what survives a pod kill (through the entry point)', () => {
  let cluster: ClusterDriver;
  // A local stack gets passwords nothing else in the logs could contain, so the secret scan
  // below means something; a cluster has the users of its auth-users Secret (E2E_USERS).
  const passwords = onCluster
    ? clusterPasswords(process.env.E2E_USERS ?? DEV_AUTH_USERS)
    : { alice: 'alice-pw-9f3kq2', bob: 'bob-pw-7h2mx8' };
  const users: StoryUser[] = [];
  const user = async (name: 'alice' | 'bob') => {
    const story = new StoryUser(cluster.baseUrl, name, passwords[name]);
    expect((await story.login()).status).toBe(200);
    users.push(story);
    return story;
  };

  beforeAll(async () => {
    cluster = await createDriver({
      replicas: { auth: 2, order: 3, cart: 2, 'cart-legacy': 3 },
      users: `alice:${passwords.alice},bob:${passwords.bob}`,
    });
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
  });

  /** Pods a victim may be picked from: on a cluster a pod an earlier test deleted lingers, Terminating. */
  const servingPods = async (app: string) =>
    (await cluster.listPods(app)).filter(
      (pod) => pod.ready && pod.status === 'Running',
    );

  /** Steady load on the order path; `victim` is disrupted once it has served some of it. */
  const underLoad = async (
    alice: StoryUser,
    victim: string,
    disrupt: () => Promise<void>,
  ): Promise<{
    sent: number;
    failed: number;
    servedByVictim: number;
    /** "pod status" → count, for a failure message that says what the load met */
    answers: Record<string, number>;
  }> => {
    const controller = new AbortController();
    const live: LoadSample[] = [];
    const load = steadyLoad(
      4,
      (worker, iteration) =>
        iteration % 2
          ? alice.listOrders()
          : alice.placeOrder(
              [{ sku: 'americano', qty: 1 }],
              'card',
              `load-${worker}-${iteration}-${Date.now()}`,
            ),
      { signal: controller.signal, maxMs: 15_000, samples: live },
    );
    for (
      let waited = 0;
      waited < 5000 &&
      live.filter((sample) => sample.pod === victim).length < 3;
      waited += 20
    ) {
      await sleep(20);
    }
    await disrupt();
    await sleep(1500);
    controller.abort();
    const samples = await load;
    return {
      sent: samples.length,
      failed: failures(samples).length,
      servedByVictim: samples.filter((sample) => sample.pod === victim).length,
      answers: samples.reduce<Record<string, number>>((counts, sample) => {
        const answer = `${sample.pod ?? 'no pod'} ${sample.status}`;
        counts[answer] = (counts[answer] ?? 0) + 1;
        return counts;
      }, {}),
    };
  };

  /** The disruption only proves something if the victim was serving this load before it. */
  const expectVictimServed = (
    result: Awaited<ReturnType<typeof underLoad>>,
    victim: string,
  ) => {
    if (result.servedByVictim < 3) {
      throw new Error(
        `the load reached ${victim} ${result.servedByVictim} times before it was disrupted (3 expected); it met: ${JSON.stringify(result.answers)}`,
      );
    }
  };

  it('order: no request fails while an order pod is SIGKILLed under steady load', async () => {
    const alice = await user('alice');
    const [victim] = await servingPods('order');
    const result = await underLoad(alice, victim.name, () =>
      cluster.deletePod(victim.name, 0),
    );
    expect(result.sent).toBeGreaterThan(20);
    expectVictimServed(result, victim.name);
    expect(result.failed).toBe(0);
    await cluster.waitReady('order', 3);
  });

  it('order: no request fails while an order pod drains after SIGTERM', async () => {
    const alice = await user('alice');
    const [victim] = await servingPods('order');
    const result = await underLoad(alice, victim.name, () =>
      cluster.deletePod(victim.name, 10),
    );
    expectVictimServed(result, victim.name);
    expect(result.failed).toBe(0);
    await cluster.waitReady('order', 3);
  });

  it('auth: a token survives the death of the auth pod that issued it', async () => {
    const bob = new StoryUser(cluster.baseUrl, 'bob', passwords.bob);
    users.push(bob);
    const login = await bob.login();
    expect(login.pod).toMatch(/^auth-/);
    await cluster.deletePod(login.pod as string, 0);
    expect((await bob.listOrders()).status).toBe(200);
    const refreshed = await bob.request('POST', '/auth/refresh', {
      body: { refresh_token: bob.tokens?.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    await cluster.waitReady('auth', 2);
  });

  it('cart (Redis sessions): the cart survives the death of the pod that created the session', async () => {
    const bob = await user('bob');
    const session = await bob.cartLogin('/cart');
    expect(session.status).toBe(200);
    await bob.cartAdd('/cart', 'latte', 2);
    await cluster.deletePod(session.body.sessionCreatedBy, 0);
    const after = await bob.cartShow('/cart');
    expect(after.status).toBe(200);
    expect(after.body.items).toEqual([
      expect.objectContaining({ sku: 'latte', qty: 2 }),
    ]);
    expect(after.pod).not.toBe(session.body.sessionCreatedBy);
    await cluster.waitReady('cart', 2);
  });

  it('cart-legacy (memory sessions): lost with its pod, untouched for sessions on other pods', async () => {
    // Enough users that every legacy pod holds some sessions (affinity pins each user to one).
    const shoppers = await Promise.all(
      Array.from({ length: 9 }, async (_, index) => {
        const shopper = await user(index % 2 ? 'alice' : 'bob');
        const session = await shopper.cartLogin('/legacy-cart');
        expect(session.status).toBe(200);
        expect(
          (await shopper.cartAdd('/legacy-cart', 'espresso', 1)).status,
        ).toBe(200);
        return { shopper, pod: session.body.sessionCreatedBy };
      }),
    );
    const victim = shoppers[0].pod;
    await cluster.deletePod(victim, 0);
    await cluster.waitReady('cart-legacy', 3);
    for (const { shopper, pod } of shoppers) {
      const view = await shopper.cartShow('/legacy-cart');
      if (pod === victim) {
        expect(view.status).toBe(401);
      } else {
        expect(view.status).toBe(200);
        expect(view.body.items).toEqual([
          expect.objectContaining({ sku: 'espresso', qty: 1 }),
        ]);
      }
    }
  });

  localStackOnly(
    'cart-legacy without affinity loses the cart without any kill (round-robin over memory stores)',
    async () => {
      if (!(cluster instanceof LocalDriver))
        throw new Error('needs the local stack');
      await cluster.setLegacyCartAffinity(false);
      try {
        const alice = await user('alice');
        expect((await alice.cartLogin('/legacy-cart')).status).toBe(200);
        const statuses = [];
        for (let attempt = 0; attempt < 6; attempt++) {
          statuses.push((await alice.cartShow('/legacy-cart')).status);
        }
        expect(statuses).toContain(401);
        expect(statuses).toContain(200);
      } finally {
        await cluster.setLegacyCartAffinity(true);
      }
    },
  );

  it('a killed process restarts in place', async () => {
    // A cluster without access to its node can only delete pods (the driver says so).
    if (cluster instanceof KubernetesDriver && !cluster.killsProcesses) {
      console.warn('no node access: a process kill is a forced delete here');
      return;
    }
    const [crashed] = await servingPods('order');
    await cluster.killProcess(crashed.name);
    let restarted;
    for (let attempt = 0; attempt < 300; attempt++) {
      restarted = (await cluster.listPods('order')).find(
        (pod) => pod.name === crashed.name,
      );
      if (restarted?.ready && restarted.restarts > crashed.restarts) break;
      await sleep(100);
    }
    expect(restarted).toMatchObject({
      name: crashed.name,
      restarts: crashed.restarts + 1,
      ready: true,
    });
    // The local stack reports the pid itself; a cluster's pods have none to compare.
    if (crashed.pid) expect(restarted?.pid).not.toBe(crashed.pid);
  });

  it('a deleted pod comes back under a new name', async () => {
    await cluster.waitReady('order', 3);
    const before = (await servingPods('order')).map((pod) => pod.name);
    await cluster.deletePod(before[1], 0);
    await cluster.waitReady('order', 3);
    const after = (await cluster.listPods('order')).filter(
      (pod) => pod.status === 'Running' && pod.ready,
    );
    expect(after.map((pod) => pod.name)).not.toContain(before[1]);
    expect(after).toHaveLength(3);
  });

  it('Redis SIGKILLed and restarted keeps sessions and orders (AOF)', async () => {
    const alice = await user('alice');
    const order = await alice.placeOrder([{ sku: 'tea', qty: 2 }], 'cash');
    expect(order.status).toBe(201);
    await alice.cartLogin('/cart');
    await alice.cartAdd('/cart', 'cappuccino', 1);

    const [redis] = await cluster.listPods('redis');
    await cluster.killProcess(redis.name);
    await sleep(200);
    // On a cluster the kubelet restarts Redis in place, after its crash-loop back-off when an
    // earlier stage killed it too (10 s, 20 s, ...): requests needing Redis answer 503 meanwhile.
    await cluster.waitReady('redis', 1, 90_000);
    const kept = await onceAnswered(
      () => alice.getOrder(order.body.id),
      90_000,
    );
    expect(kept).toMatchObject({
      status: 200,
      body: { id: order.body.id, total: 5600 },
    });
    const cart = await onceAnswered(() => alice.cartShow('/cart'), 90_000);
    expect(cart.status).toBe(200);
    expect(cart.body.items).toEqual([
      expect.objectContaining({ sku: 'cappuccino', qty: 1 }),
    ]);
  });

  it('the entry point does not expose /metrics (each pod serves it to Prometheus directly)', async () => {
    const response = await fetch(`${cluster.baseUrl}/metrics`);
    expect(response.status).toBe(404);
  });

  describe('logs (local stack: every pod logs to a file)', () => {
    const logLines = (): Array<{ file: string; line: string }> => {
      const directory =
        cluster instanceof LocalDriver
          ? cluster.ownedStack?.logDirectory
          : undefined;
      if (!directory) return [];
      return readdirSync(directory).flatMap((file) =>
        readFileSync(join(directory, file), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => ({ file, line })),
      );
    };

    localStackOnly(
      'one request id follows a checkout from the gateway through cart and order',
      async () => {
        if (!(cluster instanceof LocalDriver) || !cluster.ownedStack) return;
        const alice = await user('alice');
        await alice.cartLogin('/cart');
        await alice.cartAdd('/cart', 'americano', 2);
        await alice.cartPay('/cart', 'card');
        const requestId = `trace-${randomUUID()}`;
        const checkout = await alice.request('POST', '/cart/checkout', {
          body: {},
          cart: '/cart',
          headers: { 'x-request-id': requestId },
        });
        expect(checkout.status).toBe(201);
        await sleep(300);
        const traced = logLines()
          .filter(({ line }) => line.includes(requestId))
          .map(({ line }) => JSON.parse(line));
        expect([...new Set(traced.map((entry) => entry.app))].sort()).toEqual([
          'cart',
          'order',
        ]);
        for (const entry of traced) {
          expect(entry.req.id).toBe(requestId);
          expect(entry.userId).toBe('alice');
          expect(typeof entry.responseTime).toBe('number');
        }
      },
    );

    localStackOnly(
      'no token, password or cookie this suite used appears in any log line',
      async () => {
        if (!(cluster instanceof LocalDriver) || !cluster.ownedStack) return;
        const secrets = users.flatMap((story) => [
          story.password,
          story.tokens?.access_token,
          story.tokens?.refresh_token,
          // Session cookies (the gateway's affinity cookie only names a pod: not a secret).
          ...Object.values(story.cookies)
            .flat()
            .filter((cookie) => cookie.split('=')[0].endsWith('_sid'))
            .map((cookie) => decodeURIComponent(cookie.split('=')[1] ?? '')),
        ]);
        const meaningful = [...new Set(secrets)].filter(
          (secret): secret is string => !!secret && secret.length >= 8,
        );
        expect(meaningful.length).toBeGreaterThan(10);
        const lines = logLines();
        expect(lines.length).toBeGreaterThan(100);
        // The patterns every spec's stopAll() checks, plus the exact values this suite used.
        expect(
          lines.flatMap(({ line }) => secretsIn(line)).slice(0, 3),
        ).toEqual([]);
        const leaks = lines.filter(({ line }) =>
          meaningful.some((secret) => line.includes(secret)),
        );
        expect(leaks.slice(0, 3)).toEqual([]);
      },
    );
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { TestRedisServer } from './support/redis-server';
import {
  promote,
  waitForReplicas,
  withRedis,
} from './support/redis-replication';
import type { ServiceProcess } from './support/service-process';
import { login, startOrder, stopAll, TestServices } from './support/services';

/**
 * "Acknowledged means durable": with ORDER_WAIT_REPLICAS, POST /orders answers 201 only once
 * that many replicas hold the order (Redis WAIT), else 503 + Retry-After; a retry with the same
 * Idempotency-Key then finds the order or creates it, never both — across a failover too.
 * Real redis-server processes (a primary, a replica started with --replicaof), real HTTP.
 */

const BODY = { items: [{ sku: 'americano', qty: 1 }], payment: 'card' };
const WAIT_TIMEOUT_MS = 500;
const ORDER_UUID = /^order:[0-9a-f-]{36}$/;
/** Redis 7 waits 5 s for more replicas before a first sync; these tests have one. */
const PRIMARY = ['--repl-diskless-sync-delay', '0'];
/** Many retries per test: the per-user limit must not be what answers them. */
const UNLIMITED = { ORDER_RATE_LIMIT_MAX_ORDERS: '1000000' };

interface Answer {
  status: number;
  retryAfter: string | null;
  replayed: string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  ms: number;
  /** performance.now() when the answer had arrived. */
  at: number;
}

async function placeOrder(
  order: ServiceProcess | string,
  token: string,
  key?: string,
): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(
    `${typeof order === 'string' ? order : order.url}/orders`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: JSON.stringify(BODY),
    },
  );
  const body: unknown = await response.json();
  const at = performance.now();
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    replayed: response.headers.get('idempotent-replayed'),
    body,
    ms: at - started,
    at,
  };
}

/** The order records (`order:<uuid>`) a Redis holds: claims and counters left out. */
function ordersIn(server: TestRedisServer): Promise<string[]> {
  return withRedis(server, async (client) =>
    (await client.keys('order:*')).filter((key) => ORDER_UUID.test(key)),
  );
}

/** How many WAIT commands the server has run (INFO commandstats; none yet: 0). */
async function waitCommands(server: TestRedisServer): Promise<number> {
  const stats = await withRedis(server, (client) =>
    client.info('commandstats'),
  );
  return Number(/^cmdstat_wait:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
}

function storedOrder(server: TestRedisServer, id: string) {
  return withRedis(server, (client) => client.get(`order:${id}`));
}

describe('order: acknowledged means durable (ORDER_WAIT_REPLICAS, Redis WAIT)', () => {
  /** auth on a Redis of its own: these tests kill and promote the orders' Redis, not auth's. */
  const authServices = new TestServices();
  let auth: ServiceProcess;
  let token: string;

  beforeAll(async () => {
    auth = await authServices.auth();
    token = (await login(auth, 'alice')).access_token;
  });
  afterAll(() => authServices.stop());

  describe('a primary and one replica, ORDER_WAIT_REPLICAS=1', () => {
    let primary: TestRedisServer;
    let replica: TestRedisServer;
    let order: ServiceProcess;

    beforeAll(async () => {
      primary = await TestRedisServer.start({ extraArguments: PRIMARY });
      replica = await TestRedisServer.start({ replicaOf: primary });
      await waitForReplicas(primary, 1);
      order = await startOrder(primary.url, auth, {
        ...UNLIMITED,
        ORDER_WAIT_REPLICAS: '1',
        ORDER_WAIT_TIMEOUT_MS: String(WAIT_TIMEOUT_MS),
      });
    });
    afterAll(() => stopAll(order, replica, primary));

    it('answers 201 with the replica up, and the order is on the replica when the client reads it', async () => {
      const answer = await placeOrder(order, token, 'up-1');
      expect(answer.status).toBe(201);
      // Read right after the 201, no waiting: WAIT made the replica confirm before the answer.
      expect(JSON.parse((await storedOrder(replica, answer.body.id))!)).toEqual(
        expect.objectContaining({ order: answer.body }),
      );
    });

    it('holds the 201 until the replica confirms: a replica hung for 200 ms delays the answer, not the order', async () => {
      replica.pause();
      const answered = placeOrder(order, token, 'slow-replica-1');
      await sleep(200);
      const resumedAt = performance.now();
      replica.resume();
      const answer = await answered;
      expect(answer.status).toBe(201);
      // Answered after the replica resumed (without WAIT: at once, while it was still stopped).
      expect(answer.at).toBeGreaterThanOrEqual(resumedAt);
      expect(await storedOrder(replica, answer.body.id)).not.toBeNull();
    });

    it('answers 503 + Retry-After within about the timeout while the replica is stopped; the retry after it is back gives exactly one order', async () => {
      const key = 'stopped-replica-1';
      const before = (await ordersIn(primary)).length;
      replica.pause();
      let unacknowledged: Answer[];
      try {
        unacknowledged = [
          await placeOrder(order, token, key),
          await placeOrder(order, token, key),
        ];
      } finally {
        replica.resume();
      }
      for (const answer of unacknowledged) {
        expect(answer).toMatchObject({
          status: 503,
          retryAfter: '1',
          body: {
            statusCode: 503,
            error: 'Service Unavailable',
            message: expect.stringContaining(
              'retry with the same Idempotency-Key',
            ),
          },
        });
        expect(answer.ms).toBeGreaterThanOrEqual(WAIT_TIMEOUT_MS - 20);
        expect(answer.ms).toBeLessThan(WAIT_TIMEOUT_MS + 1000);
      }
      // Written but not acknowledged: the primary holds it once, the second 503 replayed it.
      expect((await ordersIn(primary)).length).toBe(before + 1);

      // The replica catches up after SIGCONT: the client retries (Retry-After) until a 201.
      let retry = await placeOrder(order, token, key);
      for (let attempt = 0; attempt < 10 && retry.status === 503; attempt++)
        retry = await placeOrder(order, token, key);
      expect(retry).toMatchObject({ status: 201, replayed: 'true' });
      expect((await ordersIn(primary)).length).toBe(before + 1);
      expect(await storedOrder(replica, retry.body.id)).not.toBeNull();
      const again = await placeOrder(order, token, key);
      expect(again.body.id).toBe(retry.body.id);
    });

    it('WAIT off (the default) is unchanged: 201 without waiting for a replica, even with the replica stopped', async () => {
      const unwaiting = await startOrder(primary.url, auth, UNLIMITED);
      replica.pause();
      try {
        // The primary's own count, not a stopwatch: a loaded machine can take 500 ms to answer.
        const waitsBefore = await waitCommands(primary);
        const answer = await placeOrder(unwaiting, token, 'wait-off-1');
        expect(answer).toMatchObject({ status: 201, retryAfter: null });
        expect(await waitCommands(primary)).toBe(waitsBefore);
        const replay = await placeOrder(unwaiting, token, 'wait-off-1');
        expect(replay).toMatchObject({ status: 201, replayed: 'true' });
        expect(replay.body.id).toBe(answer.body.id);
      } finally {
        replica.resume();
        await stopAll(unwaiting);
      }
    });
  });

  it('a primary with min-replicas-to-write 1 and its replica gone: a clean 503, nothing half-written, and the retry creates the one order', async () => {
    const primary = await TestRedisServer.start({
      extraArguments: [...PRIMARY, '--min-replicas-to-write', '1'],
    });
    const replica = await TestRedisServer.start({ replicaOf: primary });
    let order: ServiceProcess | undefined;
    try {
      await waitForReplicas(primary, 1);
      // WAIT off: the primary's own refusal is what answers.
      order = await startOrder(primary.url, auth, UNLIMITED);
      await replica.kill();
      const key = 'no-replicas-1';
      const refused = await placeOrder(order, token, key);
      expect(refused).toMatchObject({
        status: 503,
        retryAfter: '1',
        body: {
          statusCode: 503,
          error: 'Service Unavailable',
          message: expect.stringContaining('NOREPLICAS'),
        },
      });
      expect(await ordersIn(primary)).toEqual([]);
      expect(
        await withRedis(primary, (client) =>
          client.keys('order:idempotency:*'),
        ),
      ).toEqual([]);

      await replica.launch();
      await waitForReplicas(primary, 1);
      const retry = await placeOrder(order, token, key);
      expect(retry).toMatchObject({ status: 201, replayed: null });
      expect(await ordersIn(primary)).toEqual([`order:${retry.body.id}`]);
    } finally {
      await stopAll(order, replica, primary);
    }
  });

  describe('killing the primary while a checkout retries never creates a duplicate order', () => {
    const TRIALS = 8;
    const CLIENTS = 6;

    /**
     * One checkout's retries: POST with the same key until a 201, through 503s and a service
     * that is down while it is pointed at the new primary. Resolves with the 201's order id.
     */
    async function retryUntilCreated(
      url: string,
      key: string,
      giveUpAt: number,
    ): Promise<string> {
      // Spread over the failover, as retries of impatient clients are.
      await sleep(Math.random() * 300);
      while (Date.now() < giveUpAt) {
        const answer = await placeOrder(url, token, key).catch(() => undefined);
        if (answer?.status === 201) return answer.body.id as string;
        if (answer && answer.status !== 503)
          throw new Error(
            `unexpected ${answer.status}: ${JSON.stringify(answer.body)}`,
          );
        await sleep(10 + Math.random() * 20);
      }
      throw new Error(`no 201 for ${key} before the deadline`);
    }

    async function untilClaimed(primary: TestRedisServer): Promise<void> {
      const giveUpAt = Date.now() + 10_000;
      while (Date.now() < giveUpAt) {
        const claims = await withRedis(primary, (client) =>
          client.keys('order:idempotency:*'),
        );
        if (claims.length > 0) return;
        await sleep(5);
      }
      throw new Error('no Idempotency-Key claimed on the primary within 10 s');
    }

    it(`${TRIALS} failovers (SIGKILL the primary, REPLICAOF NO ONE on the replica), ${CLIENTS} concurrent retries of one key each: one order per key`, async () => {
      const outcomes: Array<{ acknowledged: string[]; stored: string[] }> = [];
      const timings: number[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const primary = await TestRedisServer.start({
          extraArguments: PRIMARY,
        });
        const replica = await TestRedisServer.start({ replicaOf: primary });
        const services: ServiceProcess[] = [];
        try {
          await waitForReplicas(primary, 1);
          const environment = {
            ...UNLIMITED,
            ORDER_WAIT_REPLICAS: '1',
            ORDER_WAIT_TIMEOUT_MS: '200',
          };
          services.push(await startOrder(primary.url, auth, environment));
          const { url, port } = services[0];
          // Its first request fetches the JWKS: done before the trial, not inside it.
          await fetch(`${url}/orders`, {
            headers: { authorization: `Bearer ${token}` },
          });
          // Half the trials with the replica cut off (stopped, its link dropped by the primary):
          // what the old primary takes from then on never reaches the new one, as in a failover
          // under replication lag or a partition. (SIGSTOP alone is not lag: the kernel still
          // receives the stream, and the replica reads it on SIGCONT.)
          const lagging = trial % 2 === 0;
          if (lagging) {
            replica.pause();
            await withRedis(primary, (client) =>
              client.sendCommand(['CLIENT', 'KILL', 'TYPE', 'replica']),
            );
          }
          const trialStarted = performance.now();
          const key = `failover-${trial}`;
          const giveUpAt = Date.now() + 20_000;
          const clients = Array.from({ length: CLIENTS }, () =>
            retryUntilCreated(url, key, giveUpAt),
          );
          // The kill comes after the first write of the key, at a random moment of the retries.
          await untilClaimed(primary);
          await sleep(Math.random() * 100);
          // The failover: the primary dies, the replica is promoted, the service follows
          // (restarted on the same port with the new REDIS_URL: no Sentinel here).
          await primary.kill();
          replica.resume();
          await promote(replica);
          await services[0].stop('SIGKILL');
          services.push(
            await startOrder(replica.url, auth, {
              ...environment,
              // The new primary has no replica of its own yet: WAIT 0 is what it can promise.
              ORDER_WAIT_REPLICAS: '0',
              PORT: String(port),
            }),
          );
          const acknowledged = await Promise.all(clients);
          timings.push(performance.now() - trialStarted);
          outcomes.push({
            acknowledged: [...new Set(acknowledged)],
            stored: await ordersIn(replica),
          });
        } finally {
          replica.resume();
          await stopAll(...services, replica, primary);
        }
      }
      console.log(
        `failover trials: ${timings.map((ms) => ms.toFixed(0)).join(', ')} ms to every client's 201`,
      );
      // Every trial: the 201s of all its clients name one order, and that order is the only one
      // the new primary holds (none lost, none twice).
      const broken = outcomes.filter(
        ({ acknowledged, stored }) =>
          acknowledged.length !== 1 ||
          stored.length !== 1 ||
          stored[0] !== `order:${acknowledged[0]}`,
      );
      expect(broken).toEqual([]);
    });
  });
});

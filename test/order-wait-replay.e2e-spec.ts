import { ConfigService } from '@nestjs/config';
import { createClient } from 'redis';
import type { Order } from '@app/contracts';
import { RedisDeadline, type RedisClient } from '@app/platform';
import { OrderNotDurableException } from '../apps/order/src/orders/order-not-durable.exception';
import { OrderRepository } from '../apps/order/src/orders/order.repository';
import { TestRedisServer } from './support/redis-server';
import { waitForReplicas } from './support/redis-replication';

/**
 * WAIT counts replicas against the offset of the connection's own last write. A replay writes
 * nothing new, so on a connection that never wrote (another pod's) WAIT could confirm at once,
 * for an order the replicas do not hold yet. The repository, below the HTTP layer: over HTTP the
 * rate limiter's count is a write on the same connection just before, which hides the gap.
 * (On Redis 7.0.15 any EVAL moves the connection's offset, so this passes without the replay's
 * KEEPTTL write as well; that write keeps it so where WAIT's contract, writes only, is all.)
 */
describe('order repository: a replayed order is confirmed by WAIT like a new one', () => {
  let primary: TestRedisServer;
  let replica: TestRedisServer;
  const clients: RedisClient[] = [];

  beforeAll(async () => {
    primary = await TestRedisServer.start({
      extraArguments: ['--repl-diskless-sync-delay', '0'],
    });
    replica = await TestRedisServer.start({ replicaOf: primary });
    await waitForReplicas(primary, 1);
  });
  afterAll(async () => {
    clients.forEach((client) => client.destroy());
    await replica.stop();
    await primary.stop();
  });

  /** One pod's repository: a connection of its own, WAIT on or off. */
  async function repositoryOfAPod(waitReplicas: number) {
    const client = createClient({ url: primary.url }) as RedisClient;
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    // The validated values, as the config module hands them over.
    const config = new ConfigService({
      REDIS_COMMAND_TIMEOUT_MS: 1000,
      ORDER_RETENTION_SECONDS: 3600,
      ORDER_HISTORY_LIMIT: 100,
      ORDER_IDEMPOTENCY_TTL_SECONDS: 3600,
      ORDER_WAIT_REPLICAS: waitReplicas,
      ORDER_WAIT_TIMEOUT_MS: 300,
    }) as unknown as ConfigService<never, true>;
    return new OrderRepository(client, new RedisDeadline(config), config);
  }

  const anOrder = (): Order => ({
    id: crypto.randomUUID(),
    items: [
      {
        sku: 'americano',
        name: 'Americano',
        qty: 1,
        unitPrice: 3000,
        lineTotal: 3000,
      },
    ],
    total: 3000,
    currency: 'KRW',
    payment: 'card',
    createdAt: new Date().toISOString(),
  });
  const idempotency = { key: 'replayed-1', fingerprint: 'same-body' };

  it('another pod replaying an order its replica does not hold yet answers 503, then the replay once it does', async () => {
    const writer = await repositoryOfAPod(0);
    const waiter = await repositoryOfAPod(1);
    replica.pause();
    let replay: Promise<unknown>;
    try {
      const placed = await writer.place('alice', anOrder(), idempotency);
      expect(placed.status).toBe('created');
      replay = waiter.place('alice', anOrder(), idempotency);
      await expect(replay).rejects.toBeInstanceOf(OrderNotDurableException);
    } finally {
      replica.resume();
    }
    // Back: the retries (a client's) are answered with the replay once the replica caught up.
    let retried: Awaited<ReturnType<OrderRepository['place']>> | undefined;
    for (let attempt = 0; attempt < 20 && !retried; attempt++) {
      retried = await waiter
        .place('alice', anOrder(), idempotency)
        .catch((error: unknown) => {
          if (error instanceof OrderNotDurableException) return undefined;
          throw error;
        });
    }
    expect(retried).toMatchObject({ status: 'replayed' });
  });
});

import { Inject, Injectable } from '@nestjs/common';
import type { Order } from '@app/contracts';
import { REDIS_CLIENT, RedisDeadline, type RedisClient } from '@app/platform';

const ORDER_PREFIX = 'order:';
const USER_INDEX_PREFIX = 'orders:user:';
const IDEMPOTENCY_PREFIX = 'order:idempotency:';

interface StoredOrder {
  userId: string;
  order: Order;
}

export type PlaceOutcome =
  { status: 'created' | 'replayed'; order: Order } | { status: 'conflict' };

/**
 * Claims the idempotency key and stores the order in one atomic step: two replicas receiving the
 * same retried request at the same moment cannot both create an order, and a reader never sees
 * a claimed key without its order.
 */
const PLACE_ONCE_SCRIPT = `
local claimed = redis.call('GET', KEYS[1])
if claimed then
  local separator = string.find(claimed, ' ', 1, true)
  if string.sub(claimed, 1, separator - 1) ~= ARGV[1] then return {'conflict'} end
  return {'replayed', redis.call('GET', ARGV[6] .. string.sub(claimed, separator + 1))}
end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[4], 'EX', ARGV[5])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return {'created', ARGV[2]}
`;

/**
 * Orders live in Redis, never in process memory: any replica can read any order. Every call is
 * bounded by REDIS_COMMAND_TIMEOUT_MS, so a hung Redis is a 503, never a hung request.
 */
@Injectable()
export class OrderRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly deadline: RedisDeadline,
  ) {}

  async place(
    userId: string,
    order: Order,
    idempotency?: { key: string; fingerprint: string; ttlSeconds: number },
  ): Promise<PlaceOutcome> {
    const record = JSON.stringify({ userId, order } satisfies StoredOrder);
    const score = Date.parse(order.createdAt);
    if (!idempotency) {
      await this.deadline.bound(
        this.redis
          .multi()
          .set(ORDER_PREFIX + order.id, record)
          .zAdd(USER_INDEX_PREFIX + userId, { score, value: order.id })
          .exec(),
      );
      return { status: 'created', order };
    }
    const [status, stored] = (await this.deadline.bound(
      this.redis.eval(PLACE_ONCE_SCRIPT, {
        // Keys are scoped per user: bob reusing alice's key gets an order of his own.
        keys: [
          `${IDEMPOTENCY_PREFIX}${userId}:${idempotency.key}`,
          ORDER_PREFIX + order.id,
          USER_INDEX_PREFIX + userId,
        ],
        arguments: [
          idempotency.fingerprint,
          record,
          String(score),
          order.id,
          String(idempotency.ttlSeconds),
          ORDER_PREFIX,
        ],
      }),
    )) as [string, string?];
    if (status === 'conflict') return { status };
    return {
      status: status as 'created' | 'replayed',
      order: parse(stored as string).order,
    };
  }

  async findForUser(
    userId: string,
    orderId: string,
  ): Promise<Order | undefined> {
    const stored = await this.deadline.bound(
      this.redis.get(ORDER_PREFIX + orderId),
    );
    if (!stored) return undefined;
    const record = parse(stored);
    // Someone else's order is answered exactly like a missing one: ids reveal nothing.
    return record.userId === userId ? record.order : undefined;
  }

  async listForUser(userId: string, limit: number): Promise<Order[]> {
    const ids = await this.deadline.bound(
      this.redis.zRange(USER_INDEX_PREFIX + userId, 0, limit - 1, {
        REV: true,
      }),
    );
    if (ids.length === 0) return [];
    const stored = await this.deadline.bound(
      this.redis.mGet(ids.map((id) => ORDER_PREFIX + id)),
    );
    return stored
      .filter((value): value is string => !!value)
      .map((value) => parse(value).order);
  }
}

function parse(value: string): StoredOrder {
  return JSON.parse(value) as StoredOrder;
}

import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Order } from '@app/contracts';
import {
  counter,
  REDIS_CLIENT,
  RedisDeadline,
  withDeadline,
  type RedisClient,
} from '@app/platform';
import { TimeoutError } from 'redis';
import type { OrderEnvironment } from '../config/order-environment';
import { OrderNotDurableException } from './order-not-durable.exception';

const ordersUnacknowledged = counter(
  'orders_unacknowledged_total',
  'POST /orders answered 503: fewer than ORDER_WAIT_REPLICAS replicas confirmed the order in time',
);

const ORDER_PREFIX = 'order:';
const USER_INDEX_PREFIX = 'orders:user:';
const IDEMPOTENCY_PREFIX = 'order:idempotency:';

interface StoredOrder {
  userId: string;
  order: Order;
  /** The Redis key of the Idempotency-Key claim naming this order: deleted with the order. */
  claimKey?: string;
}

export type PlaceOutcome =
  { status: 'created' | 'replayed'; order: Order } | { status: 'conflict' };

/**
 * One atomic step per order: claim the idempotency key (if any) and store the order with its
 * expiry, then keep the user's index bounded. Two replicas receiving the same retried request at
 * the same moment cannot both create an order, a reader never sees a claimed key without its
 * order, and no interleaving leaves a user with more than the history limit.
 *
 * KEYS: the order, the user's index, [the claim]. ARGV: the record, the order id, its score
 * (createdAt, ms), the retention (s), the history limit, the score below which index entries
 * are past the retention, the order key prefix, [the body's fingerprint, the claim's TTL (s),
 * ['acknowledge' when a WAIT follows]].
 *
 * A claim never outlives its order (retention >= claim TTL, and a trimmed order takes its claim
 * along); should one anyway, its key is forgotten like an expired one.
 */
const PLACE_SCRIPT = `
if #KEYS == 3 then
  local claimed = redis.call('GET', KEYS[3])
  if claimed then
    local separator = string.find(claimed, ' ', 1, true)
    if string.sub(claimed, 1, separator - 1) ~= ARGV[8] then return {'conflict'} end
    local stored = redis.call('GET', ARGV[7] .. string.sub(claimed, separator + 1))
    if stored then
      -- Waiting for replicas: a write of nothing new (the claim as it is, its TTL kept) moves
      -- this connection's replication offset past the order, so that the WAIT after this script
      -- confirms the order itself, which another pod may have written and never seen confirmed.
      -- (Redis 7.0 moves it for any EVAL, measured; WAIT's contract names writes only.)
      if ARGV[10] == 'acknowledge' then redis.call('SET', KEYS[3], claimed, 'KEEPTTL') end
      return {'replayed', stored}
    end
  end
  -- Never extended: a replay returns above, so the TTL counts from the first request.
  redis.call('SET', KEYS[3], ARGV[8] .. ' ' .. ARGV[2], 'EX', ARGV[9])
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
-- Entries whose orders have expired by now.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[6])
-- The newest N stay; older orders go, with their claims. Never the one just placed (another
-- pod's clock may run ahead of this one's). At most 100 per order: after the limit is lowered,
-- the excess drains over the next orders instead of blocking Redis in one long script.
local excess = math.min(redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5]), 100)
if excess > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, excess)) do
    if excess == 0 then break end
    if id ~= ARGV[2] then
      local stored = redis.call('GET', ARGV[7] .. id)
      if stored then
        local claim = cjson.decode(stored).claimKey
        if type(claim) == 'string' then redis.call('DEL', claim) end
        redis.call('DEL', ARGV[7] .. id)
      end
      redis.call('ZREM', KEYS[2], id)
      excess = excess - 1
    end
  end
end
-- The index lives as long as its newest order.
redis.call('EXPIRE', KEYS[2], ARGV[4])
return {'created'}
`;

/**
 * Orders live in Redis, never in process memory: any replica can read any order. What one user
 * can make Redis hold is bounded: at most ORDER_HISTORY_LIMIT orders (and as many idempotency
 * claims) plus one index, each expiring. Every call is bounded by REDIS_COMMAND_TIMEOUT_MS, so
 * a hung Redis is a 503, never a hung request.
 */
@Injectable()
export class OrderRepository {
  private readonly retentionSeconds: number;
  private readonly historyLimit: number;
  private readonly idempotencyTtlSeconds: number;
  private readonly waitReplicas: number;
  private readonly waitTimeoutMs: number;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly deadline: RedisDeadline,
    config: ConfigService<OrderEnvironment, true>,
  ) {
    this.retentionSeconds = config.get('ORDER_RETENTION_SECONDS', {
      infer: true,
    });
    this.historyLimit = config.get('ORDER_HISTORY_LIMIT', { infer: true });
    this.idempotencyTtlSeconds = config.get('ORDER_IDEMPOTENCY_TTL_SECONDS', {
      infer: true,
    });
    this.waitReplicas = config.get('ORDER_WAIT_REPLICAS', { infer: true });
    this.waitTimeoutMs = config.get('ORDER_WAIT_TIMEOUT_MS', { infer: true });
  }

  async place(
    userId: string,
    order: Order,
    idempotency?: { key: string; fingerprint: string },
  ): Promise<PlaceOutcome> {
    // Keys are scoped per user: bob reusing alice's key gets an order of his own.
    const claimKey = idempotency
      ? `${IDEMPOTENCY_PREFIX}${userId}:${idempotency.key}`
      : undefined;
    const record = JSON.stringify({
      userId,
      order,
      ...(claimKey ? { claimKey } : {}),
    } satisfies StoredOrder);
    const score = Date.parse(order.createdAt);
    const script = {
      keys: [
        ORDER_PREFIX + order.id,
        USER_INDEX_PREFIX + userId,
        ...(claimKey ? [claimKey] : []),
      ],
      arguments: [
        record,
        order.id,
        String(score),
        String(this.retentionSeconds),
        String(this.historyLimit),
        String(score - this.retentionSeconds * 1000),
        ORDER_PREFIX,
        ...(idempotency
          ? [
              idempotency.fingerprint,
              String(this.idempotencyTtlSeconds),
              ...(this.waitReplicas > 0 ? ['acknowledge'] : []),
            ]
          : []),
      ],
    };
    const [status, stored] =
      this.waitReplicas === 0
        ? ((await this.deadline.bound(
            this.redis.eval(PLACE_SCRIPT, script),
          )) as [string, string?])
        : await this.placeAndWait(script);
    if (status === 'conflict') return { status };
    if (status === 'replayed')
      return { status, order: parse(stored as string).order };
    return { status: 'created', order };
  }

  /**
   * The script and `WAIT` as one pipeline: written together on one connection, so WAIT counts
   * the replicas that hold this script's writes (WAIT is per connection: a reconnect between
   * the two would make it count replicas against an offset of nothing). Bounded by the Redis
   * deadline plus the wait itself. Fewer replicas than ORDER_WAIT_REPLICAS: 503, the order
   * stays, and a retry with the same key replays it once the replicas have it.
   */
  private async placeAndWait(script: {
    keys: string[];
    arguments: string[];
  }): Promise<[string, string?]> {
    const [placed, acknowledged] = (await withDeadline(
      this.redis
        .multi()
        .eval(PLACE_SCRIPT, script)
        .wait(this.waitReplicas, this.waitTimeoutMs)
        .execAsPipeline(),
      this.deadline.timeoutMs + this.waitTimeoutMs,
      () => new TimeoutError(),
    )) as unknown as [[string, string?], number];
    if (placed[0] !== 'conflict' && acknowledged < this.waitReplicas) {
      ordersUnacknowledged.inc();
      throw new OrderNotDurableException(
        `the order is confirmed by ${acknowledged} of ${this.waitReplicas} Redis replica(s) after ${this.waitTimeoutMs} ms`,
      );
    }
    return placed;
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

  /** The newest `limit` orders still kept; index entries whose order has expired are skipped. */
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

import { ConflictException, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import {
  MENU_CURRENCY,
  priceLines,
  type CreateOrderRequest,
  type Order,
} from '@app/contracts';
import { counter } from '@app/platform';
import {
  OrderNotDurableException,
  writeRefusedBy,
} from './order-not-durable.exception';
import { OrderRateLimiter } from './order-rate.limiter';
import { OrderRepository } from './order.repository';

/** GET /orders answers the newest orders, at most this many (ORDER_HISTORY_LIMIT may keep more). */
export const ORDER_LIST_LIMIT = 100;

const ordersCreated = counter('orders_created_total', 'Orders stored');
const idempotentReplays = counter(
  'idempotent_replays_total',
  'Requests answered with an existing order because of their Idempotency-Key',
);
const writesRefused = counter(
  'orders_write_refused_total',
  'POST /orders answered 503 because Redis refused the write (NOREPLICAS, READONLY, MASTERDOWN)',
);

export interface PlacedOrder {
  order: Order;
  replayed: boolean;
}

@Injectable()
export class OrdersService {
  constructor(
    private readonly repository: OrderRepository,
    private readonly rateLimiter: OrderRateLimiter,
  ) {}

  /**
   * Prices come from the menu, never from the client. A Redis that refuses writes (no replica
   * for `min-replicas-to-write`, or a demoted primary) refuses the limiter's count or the whole
   * script before anything of the order is written: a 503 the client retries, not a 500.
   */
  async place(
    userId: string,
    body: CreateOrderRequest,
    idempotencyKey?: string,
  ): Promise<PlacedOrder> {
    try {
      return await this.placeOnce(userId, body, idempotencyKey);
    } catch (error) {
      const refusal = writeRefusedBy(error);
      if (refusal === undefined) throw error;
      writesRefused.inc();
      throw new OrderNotDurableException(`Redis refuses writes (${refusal})`);
    }
  }

  private async placeOnce(
    userId: string,
    body: CreateOrderRequest,
    idempotencyKey?: string,
  ): Promise<PlacedOrder> {
    await this.rateLimiter.consume(userId);
    const { items, total } = priceLines(body.items);
    const order: Order = {
      id: randomUUID(),
      items,
      total,
      currency: MENU_CURRENCY,
      payment: body.payment,
      createdAt: new Date().toISOString(),
    };
    const outcome = await this.repository.place(
      userId,
      order,
      idempotencyKey === undefined
        ? undefined
        : { key: idempotencyKey, fingerprint: fingerprintOf(body) },
    );
    if (outcome.status === 'conflict') {
      throw new ConflictException(
        'Idempotency-Key was already used with a different order body',
      );
    }
    const replayed = outcome.status === 'replayed';
    (replayed ? idempotentReplays : ordersCreated).inc();
    return { order: outcome.order, replayed };
  }

  findOne(userId: string, orderId: string): Promise<Order | undefined> {
    return this.repository.findForUser(userId, orderId);
  }

  list(userId: string): Promise<Order[]> {
    return this.repository.listForUser(userId, ORDER_LIST_LIMIT);
  }
}

/** The validated body, canonicalised (schema order of keys), hashed: equal bodies, equal prints. */
function fingerprintOf(body: CreateOrderRequest): string {
  const canonical = JSON.stringify({
    items: body.items.map(({ sku, qty }) => ({ sku, qty })),
    payment: body.payment,
  });
  return createHash('sha256').update(canonical).digest('base64url');
}

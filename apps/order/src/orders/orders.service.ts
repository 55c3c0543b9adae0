import { ConflictException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash, randomUUID } from 'node:crypto';
import {
  MENU_CURRENCY,
  priceLines,
  type CreateOrderRequest,
  type Order,
} from '@app/contracts';
import { counter } from '@app/platform';
import type { OrderEnvironment } from '../config/order-environment';
import { OrderRepository } from './order.repository';

const ordersCreated = counter('orders_created_total', 'Orders stored');
const idempotentReplays = counter(
  'idempotent_replays_total',
  'Requests answered with an existing order because of their Idempotency-Key',
);

export interface PlacedOrder {
  order: Order;
  replayed: boolean;
}

@Injectable()
export class OrdersService {
  private readonly idempotencyTtlSeconds: number;

  constructor(
    private readonly repository: OrderRepository,
    config: ConfigService<OrderEnvironment, true>,
  ) {
    this.idempotencyTtlSeconds = config.get('ORDER_IDEMPOTENCY_TTL_SECONDS', {
      infer: true,
    });
  }

  /** Prices come from the menu, never from the client. */
  async place(
    userId: string,
    body: CreateOrderRequest,
    idempotencyKey?: string,
  ): Promise<PlacedOrder> {
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
        : {
            key: idempotencyKey,
            fingerprint: fingerprintOf(body),
            ttlSeconds: this.idempotencyTtlSeconds,
          },
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
    return this.repository.listForUser(userId, 100);
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

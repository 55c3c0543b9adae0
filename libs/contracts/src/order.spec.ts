import { randomUUID } from 'node:crypto';
import { MENU_CURRENCY, priceLines } from './menu';
import {
  createOrderSchema,
  MAX_QTY_PER_SKU,
  orderIdSchema,
  orderSchema,
} from './order';

const order = (items: Array<{ sku: string; qty: number }>) => ({
  items,
  payment: 'card',
});

describe('createOrderSchema: the cap per sku', () => {
  it(`accepts ${MAX_QTY_PER_SKU} of one sku spread over several lines`, () => {
    expect(
      createOrderSchema.safeParse(
        order([
          { sku: 'americano', qty: 50 },
          { sku: 'latte', qty: 99 },
          { sku: 'americano', qty: 49 },
        ]),
      ).success,
    ).toBe(true);
  });

  it('refuses 20 lines of 99 americanos, naming the line that crosses the cap, once', () => {
    const result = createOrderSchema.safeParse(
      order(Array.from({ length: 20 }, () => ({ sku: 'americano', qty: 99 }))),
    );
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['items', 1, 'qty'],
        message: 'at most 99 americano per order (over all its lines)',
      }),
    ]);
  });

  it('reports each sku over the cap', () => {
    const result = createOrderSchema.safeParse(
      order([
        { sku: 'tea', qty: 60 },
        { sku: 'latte', qty: 60 },
        { sku: 'tea', qty: 40 },
        { sku: 'latte', qty: 40 },
      ]),
    );
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([
      ['items', 2, 'qty'],
      ['items', 3, 'qty'],
    ]);
  });
});

describe('orderSchema: the order the service answers', () => {
  it('describes an order priced from the menu', () => {
    const { items, total } = priceLines([
      { sku: 'americano', qty: 2 },
      { sku: 'tea', qty: 1 },
    ]);
    const order = {
      id: randomUUID(),
      items,
      total,
      currency: MENU_CURRENCY,
      payment: 'cash',
      createdAt: new Date().toISOString(),
    };
    expect(orderSchema.parse(order)).toEqual(order);
  });

  it('refuses an id that is not a UUID v4, with the message GET /orders/:id answers', () => {
    expect(orderIdSchema.safeParse('42').error?.issues[0].message).toBe(
      'order id must be a UUID',
    );
  });
});

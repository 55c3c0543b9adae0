import { z } from 'zod';
import { MENU_SKUS, pricedLineSchema } from './menu';

export const PAYMENT_METHODS = ['card', 'cash'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

/** At most this many of one sku per order, however many lines it is spread over. */
export const MAX_QTY_PER_SKU = 99;
export const MAX_ORDER_LINES = 20;

/** One line as a client sends it: what and how many, never a price. */
export const orderLineSchema = z.strictObject({
  sku: z.enum(MENU_SKUS),
  qty: z.number().int().min(1).max(MAX_QTY_PER_SKU),
});
export type OrderLineRequest = z.infer<typeof orderLineSchema>;

/**
 * The whole order, in one request: what a stateless service needs and nothing more. Unknown
 * fields are rejected, prices are never accepted, and the cap per sku holds across lines (20
 * lines of 99 americanos are not 1,980 americanos).
 */
export const createOrderSchema = z.strictObject({
  items: z
    .array(orderLineSchema)
    .min(1)
    .max(MAX_ORDER_LINES)
    .superRefine((lines, context) => {
      const totals = new Map<string, number>();
      lines.forEach(({ sku, qty }, index) => {
        const total = (totals.get(sku) ?? 0) + qty;
        totals.set(sku, total);
        // Reported once per sku, on the line that crosses the cap.
        if (total > MAX_QTY_PER_SKU && total - qty <= MAX_QTY_PER_SKU) {
          context.addIssue({
            code: 'custom',
            path: [index, 'qty'],
            message: `at most ${MAX_QTY_PER_SKU} ${sku} per order (over all its lines)`,
          });
        }
      });
    }),
  payment: z.enum(PAYMENT_METHODS),
});
export type CreateOrderRequest = z.infer<typeof createOrderSchema>;

/** `GET /orders/:id`'s parameter, and every order's `id`. */
export const orderIdSchema = z.uuid({
  version: 'v4',
  message: 'order id must be a UUID',
});

/** An order as the order service answers it (`POST /orders`, `GET /orders[/:id]`, checkout). */
export const orderSchema = z.object({
  id: orderIdSchema,
  items: z.array(pricedLineSchema),
  total: z.number().int(),
  currency: z.string(),
  payment: z.enum(PAYMENT_METHODS),
  createdAt: z.iso.datetime(),
});
export type Order = z.infer<typeof orderSchema>;

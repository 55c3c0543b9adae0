import { z } from 'zod';
import { MENU_SKUS, PAYMENT_METHODS } from '@app/contracts';

/** The whole order in one request; unknown fields are rejected, prices are never accepted. */
export const createOrderSchema = z.strictObject({
  items: z
    .array(
      z.strictObject({
        sku: z.enum(MENU_SKUS),
        qty: z.number().int().min(1).max(99),
      }),
    )
    .min(1)
    .max(20),
  payment: z.enum(PAYMENT_METHODS),
});
export type CreateOrderBody = z.infer<typeof createOrderSchema>;

/** Printable ASCII, as the IETF Idempotency-Key draft suggests (a UUID fits). */
export const idempotencyKeySchema = z
  .string()
  .regex(
    /^[\x21-\x7e]{1,255}$/,
    'Idempotency-Key must be 1-255 printable ASCII characters',
  )
  .optional();

export const orderIdSchema = z.uuid({
  version: 'v4',
  message: 'order id must be a UUID',
});

import { z } from 'zod';

// The body's schema is the shared contract (libs/contracts: createOrderSchema), so the cart
// cannot hold what order would refuse.

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

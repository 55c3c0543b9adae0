import { z } from 'zod';

/** Every response of every service names the pod that served it. */
export const POD_NAME_HEADER = 'x-pod-name';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAY_HEADER = 'idempotent-replayed';

/** The Idempotency-Key header, if sent: printable ASCII, as the IETF draft suggests (a UUID fits). */
export const idempotencyKeySchema = z
  .string()
  .regex(
    /^[\x21-\x7e]{1,255}$/,
    'Idempotency-Key must be 1-255 printable ASCII characters',
  )
  .optional();

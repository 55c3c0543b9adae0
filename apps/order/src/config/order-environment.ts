import { identityEnvironmentSchema } from '@app/identity';
import {
  platformEnvironmentSchema,
  redisEnvironmentSchema,
} from '@app/platform';
import { z } from 'zod';

export const orderEnvironmentSchema = platformEnvironmentSchema
  .extend(redisEnvironmentSchema.shape)
  .extend(identityEnvironmentSchema.shape)
  .extend({
    /** How long an Idempotency-Key is remembered (a retry after that is a new order). */
    ORDER_IDEMPOTENCY_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .default(86_400),
  });

export type OrderEnvironment = z.infer<typeof orderEnvironmentSchema>;

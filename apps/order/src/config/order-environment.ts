import { identityEnvironmentSchema } from '@app/identity';
import {
  httpAdapterFromEnvironment,
  platformEnvironmentSchema,
  redisEnvironmentSchema,
} from '@app/platform';
import { z } from 'zod';

const DAY_SECONDS = 86_400;

const seconds = (minimum: number, maximum: number, fallback: number) =>
  z.coerce
    .number({ message: 'expected a whole number of seconds' })
    .int('expected a whole number of seconds')
    .min(minimum, `at least ${minimum} s`)
    .max(maximum, `at most ${maximum} s`)
    .default(fallback);

const count = (maximum: number, fallback: number) =>
  z.coerce
    .number({ message: 'expected a whole number' })
    .int('expected a whole number')
    .min(1, 'at least 1')
    .max(maximum, `at most ${maximum}`)
    .default(fallback);

/**
 * What one user can make Redis hold is bounded: ORDER_HISTORY_LIMIT orders (and their
 * idempotency claims), none older than ORDER_RETENTION_SECONDS, written at most
 * ORDER_RATE_LIMIT_MAX_ORDERS per ORDER_RATE_LIMIT_WINDOW_SECONDS.
 */
export const orderEnvironmentSchema = platformEnvironmentSchema
  .extend(redisEnvironmentSchema.shape)
  .extend(identityEnvironmentSchema.shape)
  .extend({
    /**
     * How long an Idempotency-Key is remembered, counted from the first request (a replay does
     * not extend it); a retry after that is a new order.
     */
    ORDER_IDEMPOTENCY_TTL_SECONDS: seconds(60, 365 * DAY_SECONDS, DAY_SECONDS),
    /** How long an order is kept (GET /orders/:id, GET /orders) after it was placed. */
    ORDER_RETENTION_SECONDS: seconds(60, 365 * DAY_SECONDS, 30 * DAY_SECONDS),
    /** The newest orders kept per user; placing one more deletes the oldest (and its claim). */
    ORDER_HISTORY_LIMIT: count(1_000_000, 100),
    /** Orders one user may place per window, over every replica (429 + Retry-After beyond). */
    ORDER_RATE_LIMIT_MAX_ORDERS: count(1_000_000_000, 30),
    ORDER_RATE_LIMIT_WINDOW_SECONDS: seconds(1, DAY_SECONDS, 60),
    /**
     * Replicas that must hold an order before it is answered 201 (Redis `WAIT`): replication is
     * asynchronous, so without it a failover can drop an order the client was told about.
     * 0 = off (the default: one Redis, or a loss of the last writes accepted).
     */
    ORDER_WAIT_REPLICAS: z.coerce
      .number({ message: 'expected a whole number of replicas' })
      .int('expected a whole number of replicas')
      .min(0, 'at least 0 (0 = do not wait)')
      .max(100, 'at most 100')
      .default(0),
    /** How long one POST /orders waits for those replicas before it answers 503. */
    ORDER_WAIT_TIMEOUT_MS: z.coerce
      .number({ message: 'expected a whole number of milliseconds' })
      .int('expected a whole number of milliseconds')
      .min(1, 'at least 1 ms (WAIT 0 would wait for ever)')
      .max(60_000, 'at most 60000 ms')
      .default(500),
    /**
     * Bench only: the same build of order on Express, to show the framework's cost apart from
     * the state's (tools/bench). Deployments leave it unset.
     */
    HTTP_ADAPTER: httpAdapterFromEnvironment.default('fastify'),
  })
  .refine(
    (environment) =>
      environment.ORDER_RETENTION_SECONDS >=
      environment.ORDER_IDEMPOTENCY_TTL_SECONDS,
    {
      path: ['ORDER_RETENTION_SECONDS'],
      message:
        'must be at least ORDER_IDEMPOTENCY_TTL_SECONDS: a replayed Idempotency-Key must still find its order',
    },
  );

export type OrderEnvironment = z.infer<typeof orderEnvironmentSchema>;

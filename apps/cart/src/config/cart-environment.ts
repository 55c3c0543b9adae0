import { z } from 'zod';
import { identityEnvironmentSchema } from '@app/identity';
import {
  platformEnvironmentSchema,
  redisEnvironmentSchema,
} from '@app/platform';

/** Comma list: the first secret signs new cookies, every one verifies (rotation without logouts). */
const sessionSecrets = z
  .string()
  .transform((value) => value.split(',').map((secret) => secret.trim()))
  .pipe(
    z
      .array(z.string().min(32, 'each secret needs at least 32 characters'))
      .min(1),
  );

/** `redis`: connect-redis, sessions survive the pod. `memory`: MemoryStore, they die with it. */
export const sessionStoreSchema = z.enum(['redis', 'memory']);

export const cartEnvironmentSchema = platformEnvironmentSchema
  .extend(identityEnvironmentSchema.shape)
  .extend({
    SESSION_STORE: sessionStoreSchema,
    SESSION_SECRETS: sessionSecrets,
    /** Path prefix of every cart route; also the cookie path, so the two carts never collide. */
    ROUTE_PREFIX: z
      .string()
      .regex(/^\/[a-z0-9-]+$/, 'expected a path such as /cart')
      .optional(),
    ORDER_URL: z.url({ protocol: /^https?$/ }),
    SESSION_IDLE_TIMEOUT_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .default(30 * 60),
    SESSION_ABSOLUTE_TIMEOUT_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .default(8 * 3600),
    /**
     * Live sessions per user and store: a login beyond this revokes that user's oldest session,
     * so one token cannot fill the store. 5 browsers or devices are plenty for one person.
     */
    SESSION_MAX_PER_USER: z.coerce.number().int().min(1).max(1000).default(5),
    REDIS_URL: redisEnvironmentSchema.shape.REDIS_URL.optional(),
    REDIS_SENTINELS: redisEnvironmentSchema.shape.REDIS_SENTINELS,
    REDIS_SENTINEL_NAME: redisEnvironmentSchema.shape.REDIS_SENTINEL_NAME,
    REDIS_COMMAND_TIMEOUT_MS:
      redisEnvironmentSchema.shape.REDIS_COMMAND_TIMEOUT_MS,
  })
  .refine(
    (environment) =>
      environment.SESSION_STORE === 'memory' || !!environment.REDIS_URL,
    {
      path: ['REDIS_URL'],
      message: 'required when SESSION_STORE=redis',
    },
  )
  .refine(
    (environment) =>
      environment.AUTH_REVOCATION === 'none' || !!environment.REDIS_URL,
    {
      path: ['REDIS_URL'],
      message: 'required when AUTH_REVOCATION=denylist',
    },
  )
  .transform((environment) => ({
    ...environment,
    ROUTE_PREFIX:
      environment.ROUTE_PREFIX ??
      (environment.SESSION_STORE === 'redis' ? '/cart' : '/legacy-cart'),
  }));

export type CartEnvironment = z.infer<typeof cartEnvironmentSchema>;

import { z } from 'zod';

const LOG_LEVELS = [
  'fatal',
  'error',
  'warn',
  'log',
  'debug',
  'verbose',
] as const;

/** Parses "true"/"false"/"1"/"0" the way people write booleans in env files. */
export const booleanFromEnvironment = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

/**
 * Variables every service reads. Each app extends this schema with its own; the process refuses
 * to start when any of them is missing or malformed, naming the variable.
 */
export const platformEnvironmentSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  POD_NAME: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('log'),
  /** How long a pod keeps serving after SIGTERM while endpoints are removed (preStop-like). */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(120_000).default(3000),
});

export const redisEnvironmentSchema = z.object({
  REDIS_URL: z.url({ protocol: /^rediss?$/ }),
  /** Bound on any single Redis command, so a Redis outage is a fast 503, never a hang. */
  REDIS_COMMAND_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(50)
    .max(30_000)
    .default(1000),
});

export type PlatformEnvironment = z.infer<typeof platformEnvironmentSchema>;
export type RedisEnvironment = z.infer<typeof redisEnvironmentSchema>;

export function logLevelsFrom(level: (typeof LOG_LEVELS)[number]) {
  return LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1);
}

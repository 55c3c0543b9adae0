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

/** Express's names for address ranges (proxy-addr): 127/8 + ::1, 169.254/16 + fe80::/10, RFC 1918 + fc00::/7. */
const TRUSTED_PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

const isTrustedProxyEntry = (entry: string) =>
  TRUSTED_PROXY_RANGE_NAMES.includes(entry) ||
  [z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()].some(
    (format) => format.safeParse(entry).success,
  );

/** `a, b,,c` → `['a', 'b', 'c']`: the comma lists the environment holds. */
const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean),
);

/**
 * The peers whose X-Forwarded-For a pod believes: `none`, or a comma list of addresses, CIDRs and
 * Express's range names. Express's `true` or a hop count would believe whatever the client wrote
 * as soon as it reached a pod some other way, so they are refused. Parsed to what Express's
 * `trust proxy` setting takes: `false` or the list.
 */
export const trustProxyFromEnvironment = commaList
  .refine(
    (entries) =>
      (entries.length === 1 && entries[0] === 'none') ||
      (entries.length > 0 && entries.every(isTrustedProxyEntry)),
    `expected "none" or a comma list of IP addresses, CIDRs, ${TRUSTED_PROXY_RANGE_NAMES.join(', ')}`,
  )
  .transform((entries) => (entries[0] === 'none' ? false : entries));

/**
 * Variables every service reads. Each app extends this schema with its own; the process refuses
 * to start when any of them is missing or malformed, naming the variable.
 */
export const platformEnvironmentSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** The address to listen on: every interface in a container, 127.0.0.1 on the local stack. */
  HOST: z.union([z.ipv4(), z.ipv6()]).default('0.0.0.0'),
  /** Default: the local gateway (loopback) only. On a cluster: the ingress controller's pods. */
  TRUST_PROXY: trustProxyFromEnvironment.default(['loopback']),
  POD_NAME: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('log'),
  /** How long a pod keeps serving after SIGTERM while endpoints are removed (preStop-like). */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(120_000).default(3000),
});

/**
 * `host:port[,host:port...]`: the Sentinels to ask which Redis is the primary. Parsed to the
 * list node-redis's Sentinel client takes; empty or unset means "no Sentinel, REDIS_URL is Redis".
 */
export const redisSentinelsFromEnvironment = commaList
  .refine(
    (entries) =>
      entries.every((entry) => {
        const match = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(
          entry,
        );
        return !!match && Number(match[2]) >= 1 && Number(match[2]) <= 65535;
      }),
    'expected "host:port[,host:port...]", e.g. "sentinel-0:26379,sentinel-1:26379"',
  )
  .transform((entries) =>
    entries.map((entry) => {
      const colon = entry.lastIndexOf(':');
      return {
        host: entry.slice(0, colon).replace(/^\[|\]$/g, ''),
        port: Number(entry.slice(colon + 1)),
      };
    }),
  );

export const redisEnvironmentSchema = z.object({
  /**
   * The Redis to use. With REDIS_SENTINELS set its host and port are not dialled (the Sentinels
   * name the primary); its user, password, database and `rediss:` still apply to every node.
   */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }),
  REDIS_SENTINELS: redisSentinelsFromEnvironment.optional(),
  /** The name the Sentinels monitor the primary under (`sentinel monitor <name> ...`). */
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected a name such as "mymaster"')
    .default('mymaster'),
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

import { z } from 'zod';
import { ACCESS_TOKEN_ALGORITHMS, ACCESS_TOKEN_AUDIENCE } from '@app/contracts';
import { authRevocationSetting } from '@app/identity';
import {
  platformEnvironmentSchema,
  redisEnvironmentSchema,
} from '@app/platform';

/** `name:password,name:password`: names are user ids, so no separators or spaces in them. */
const usersList = z
  .string()
  .regex(
    /^[A-Za-z0-9._-]+:[^,]+(,[A-Za-z0-9._-]+:[^,]+)*$/,
    'expected "name:password[,name:password...]"',
  );

export const authEnvironmentSchema = platformEnvironmentSchema
  .extend(redisEnvironmentSchema.shape)
  .extend({
    AUTH_ISSUER: z.string().min(1),
    AUTH_AUDIENCE: z.string().min(1).default(ACCESS_TOKEN_AUDIENCE),
    /** `shared`: keys from AUTH_KEYS_DIR (a Secret). `per-pod`: a key made at start-up (anti-pattern). */
    AUTH_KEY_MODE: z.enum(['shared', 'per-pod']).default('shared'),
    AUTH_KEYS_DIR: z.string().min(1).optional(),
    /** The kid that signs; required when AUTH_KEYS_DIR holds several keys (rotation). */
    AUTH_ACTIVE_KID: z.string().min(1).optional(),
    /** Algorithm of the key a pod makes for itself in per-pod mode. */
    AUTH_PER_POD_ALGORITHM: z.enum(ACCESS_TOKEN_ALGORITHMS).default('ES256'),
    AUTH_USERS: usersList,
    AUTH_ACCESS_TOKEN_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(10)
      .max(86_400)
      .default(900),
    /** `denylist`: logout revokes the access token too (libs/identity, revoked-access-tokens). */
    AUTH_REVOCATION: authRevocationSetting,
    AUTH_REFRESH_TOKEN_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .default(7 * 86_400),
    /**
     * A login's refresh-token family ends this long after the login, however often it rotates
     * (each rotation restarts only the idle TTL above, never past this end).
     */
    AUTH_REFRESH_FAMILY_MAX_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .default(30 * 86_400),
    /** Failed logins allowed per user and client address within the window, before 429. */
    AUTH_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
    AUTH_LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
    /**
     * Failed logins allowed per user from all addresses together; past it the account is blocked
     * for AUTH_LOGIN_ACCOUNT_BLOCK_SECONDS. Higher than the per-address limit and slower to
     * forgive: it only matters to someone guessing from many addresses.
     */
    AUTH_LOGIN_ACCOUNT_MAX_FAILURES: z.coerce.number().int().min(1).default(20),
    AUTH_LOGIN_ACCOUNT_WINDOW_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .default(900),
    AUTH_LOGIN_ACCOUNT_BLOCK_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .default(900),
  })
  .refine(
    (environment) =>
      environment.AUTH_KEY_MODE === 'per-pod' || !!environment.AUTH_KEYS_DIR,
    {
      path: ['AUTH_KEYS_DIR'],
      message:
        'required when AUTH_KEY_MODE=shared (run `npm run keys` to create a dev key set)',
    },
  );

export type AuthEnvironment = z.infer<typeof authEnvironmentSchema>;

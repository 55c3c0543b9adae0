import { z } from 'zod';
import { ACCESS_TOKEN_AUDIENCE } from '@app/contracts';

/**
 * `none`: an access token is accepted until its `exp`, logout or not (stateless; the default).
 * `denylist`: logout puts the token's `jti` in Redis until its `exp`, and every verifier looks it
 * up on every request — state brought back to take a token back.
 */
export const AUTH_REVOCATION_MODES = ['none', 'denylist'] as const;
export type AuthRevocationMode = (typeof AUTH_REVOCATION_MODES)[number];
export const authRevocationSetting = z
  .enum(AUTH_REVOCATION_MODES)
  .default('none');

/** The most clock skew any verifier may be configured to tolerate past a token's `exp`. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;

/** What a token verifier needs: where auth publishes its keys and whom tokens must name. */
export const identityEnvironmentSchema = z.object({
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }),
  AUTH_ISSUER: z.string().min(1),
  AUTH_AUDIENCE: z.string().min(1).default(ACCESS_TOKEN_AUDIENCE),
  /** Seconds of clock skew tolerated on exp/nbf/iat between pods. */
  AUTH_CLOCK_TOLERANCE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_CLOCK_TOLERANCE_SECONDS)
    .default(5),
  /**
   * The longest life an access token may claim (`exp - iat`), and so the longest it is accepted
   * after its `iat`: a token minted with a far `exp` (a leaked key, a misconfigured issuer) is
   * refused instead of trusted for years. Keep it above auth's AUTH_ACCESS_TOKEN_TTL_SECONDS.
   */
  AUTH_MAX_TOKEN_LIFETIME_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .max(86_400)
    .default(3600),
  /** Minimum time between JWKS refetches triggered by an unknown kid (protects auth from floods). */
  AUTH_JWKS_COOLDOWN_SECONDS: z.coerce.number().min(0).max(3600).default(30),
  AUTH_REVOCATION: authRevocationSetting,
});

export type IdentityEnvironment = z.infer<typeof identityEnvironmentSchema>;

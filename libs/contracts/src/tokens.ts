/** RFC 6749 section 5.1 token response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
}

/**
 * Claims every access token carries; verifiers pin the algorithm list. ES256 is what auth signs
 * with by default; RS256 is accepted for an RSA key set. No EdDSA: jsonwebtoken (under
 * @nestjs/jwt and passport-jwt) cannot sign or verify it.
 */
export const ACCESS_TOKEN_ALGORITHMS = ['ES256', 'RS256'] as const;
export type AccessTokenAlgorithm = (typeof ACCESS_TOKEN_ALGORITHMS)[number];

/** The audience every service checks: tokens are for this system's APIs only. */
export const ACCESS_TOKEN_AUDIENCE = 'what-survives-api';

/** RFC 6749 section 5.1 token response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
}

/** Claims every access token carries; verifiers pin the algorithm list. */
export const ACCESS_TOKEN_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const;
export type AccessTokenAlgorithm = (typeof ACCESS_TOKEN_ALGORITHMS)[number];

/** The audience every service checks: tokens are for this system's APIs only. */
export const ACCESS_TOKEN_AUDIENCE = 'what-survives-api';

import type { JwtPayload } from 'jsonwebtoken';

/** The token type auth sets in every access token header (RFC 9068), so no other JWT passes. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** The claims a verified access token is known to carry. */
export type AccessTokenClaims = JwtPayload & {
  sub: string;
  exp: number;
  iat: number;
  jti: string;
};

export interface AuthenticatedUser {
  /** The `sub` claim: the user's stable id. */
  id: string;
  /** The raw bearer token, kept so a caller can act for the user (cart → order). */
  accessToken: string;
  claims: AccessTokenClaims;
}

import { SetMetadata } from '@nestjs/common';

export const SESSION_AUTHENTICATED_KEY = 'sessionAuthenticated';

/**
 * The caller is authenticated by a session (the cart's cookie, checked by the route's own
 * SessionGuard), not by a bearer token: the global JwtAuthGuard lets the route through. Not
 * `@Public()`, which means anyone may call the route (probes, metrics, the menu).
 */
export const SessionAuthenticated = () =>
  SetMetadata(SESSION_AUTHENTICATED_KEY, true);

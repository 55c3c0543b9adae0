import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'isPublic';

/**
 * Anyone may call the route: no authentication at all (probes, metrics, the menu). Opts it out of
 * libs/identity's global bearer-token guard; a route that authenticates by session instead is
 * `@SessionAuthenticated()`.
 */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);

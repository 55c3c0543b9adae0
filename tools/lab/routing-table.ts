/**
 * The local stack's Ingress rules: which app serves which path. The only hand-written part of
 * the gateway; the proxying itself is http-proxy's.
 */
export interface Route {
  prefix: string;
  app: string;
  /** Cookie affinity, as ingress-nginx's `affinity: cookie` gives the legacy cart on a cluster. */
  affinity?: boolean;
}

export const ROUTES: readonly Route[] = [
  { prefix: '/auth', app: 'auth' },
  { prefix: '/menu', app: 'order' },
  { prefix: '/orders', app: 'order' },
  { prefix: '/cart', app: 'cart' },
  { prefix: '/legacy-cart', app: 'cart-legacy', affinity: true },
];

export function routeFor(path: string): Route | undefined {
  const pathname = path.split('?')[0];
  return ROUTES.find(
    (route) =>
      pathname === route.prefix || pathname.startsWith(`${route.prefix}/`),
  );
}

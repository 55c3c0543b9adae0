import { DEPLOYMENTS } from '../deployments';

/**
 * The local stack's Ingress rules: which app serves which path. The only hand-written part of
 * the gateway; the proxying itself is http-proxy's.
 */
export interface Route {
  prefix: string;
  app: string;
  /** Cookie affinity, as Traefik's sticky cookie gives the legacy cart on a cluster. */
  affinity?: boolean;
}

/** The Ingress of k8s/base routes the same prefixes (the manifest checks hold it to DEPLOYMENTS). */
export const ROUTES: readonly Route[] = DEPLOYMENTS.flatMap((deployment) =>
  deployment.prefixes.map((prefix) => ({
    prefix,
    app: deployment.name,
    ...(deployment.sticky ? { affinity: true } : {}),
  })),
);

export function routeFor(path: string): Route | undefined {
  const pathname = path.split('?')[0];
  return ROUTES.find(
    (route) =>
      pathname === route.prefix || pathname.startsWith(`${route.prefix}/`),
  );
}

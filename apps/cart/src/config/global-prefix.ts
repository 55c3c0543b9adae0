/**
 * Routes the cart's global prefix (ROUTE_PREFIX) leaves out. One image, two deployments: `/cart`
 * (Redis sessions) or `/legacy-cart` (memory sessions), but the probes and /metrics stay at the
 * root, as on every pod. main.ts applies this list; tools/k8s-policy holds the probe and scrape
 * paths of the manifests to it.
 */
export const GLOBAL_PREFIX_EXCLUSIONS = [
  'healthz/live',
  'healthz/ready',
  'metrics',
] as const;

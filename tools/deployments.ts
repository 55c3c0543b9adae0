import type { BuiltApp } from './build/ensure-built';

/**
 * The apps the stack runs, once: the lab starts them, the experiment disrupts and charts them,
 * the dashboard and the bench show and measure them, the cluster restarts them. k8s/base holds
 * one Deployment per entry, and the manifest checks (tools/k8s-policy/deployments.ts) fail when
 * the two disagree, so a new app starts here and in k8s/base.
 */
export interface DeploymentDescription {
  /** The Deployment and Service name (k8s/base/<name>), the pods' `app` label, the lab's app. */
  readonly name: string;
  /** The bundle and image it runs: cart-legacy is the cart with its sessions in memory. */
  readonly image: BuiltApp;
  /** `replicas` of k8s/base/<name>/deployment.yaml, and the local stack's default. */
  readonly replicas: number;
  /** Where what it keeps lives: `memory` dies with the pod (the demo's point). */
  readonly stateStore: 'redis' | 'memory';
  /** The path prefixes the entry point (the Ingress, the lab's gateway) sends to it. */
  readonly prefixes: readonly string[];
  /** Cookie affinity at the entry point: a memory session exists only on the pod that made it. */
  readonly sticky: boolean;
  /** Verifies access tokens against auth's JWKS (auth issues them). */
  readonly verifiesTokens: boolean;
}

export const DEPLOYMENTS = [
  {
    name: 'auth',
    image: 'auth',
    replicas: 2,
    stateStore: 'redis',
    prefixes: ['/auth'],
    sticky: false,
    verifiesTokens: false,
  },
  {
    name: 'order',
    image: 'order',
    replicas: 3,
    stateStore: 'redis',
    prefixes: ['/menu', '/orders'],
    sticky: false,
    verifiesTokens: true,
  },
  {
    name: 'cart',
    image: 'cart',
    replicas: 3,
    stateStore: 'redis',
    prefixes: ['/cart'],
    sticky: false,
    verifiesTokens: true,
  },
  {
    name: 'cart-legacy',
    image: 'cart',
    replicas: 3,
    stateStore: 'memory',
    prefixes: ['/legacy-cart'],
    sticky: true,
    verifiesTokens: true,
  },
] as const satisfies readonly DeploymentDescription[];

export type DeploymentName = (typeof DEPLOYMENTS)[number]['name'];

/** The names in the story's order (auth, order, cart, cart-legacy): columns, charts, loops. */
export const DEPLOYMENT_NAMES: readonly DeploymentName[] = DEPLOYMENTS.map(
  (deployment) => deployment.name,
);

export function isDeploymentName(name: string): name is DeploymentName {
  return (DEPLOYMENT_NAMES as readonly string[]).includes(name);
}

export function deploymentOf(name: DeploymentName): DeploymentDescription {
  return DEPLOYMENTS.find(
    (deployment) => deployment.name === name,
  ) as DeploymentDescription;
}

/** One value per deployment: `{ auth: value('auth'), order: …, … }`. */
export function perDeployment<T>(
  value: (deployment: DeploymentDescription) => T,
): Record<DeploymentName, T> {
  return Object.fromEntries(
    DEPLOYMENTS.map((deployment) => [deployment.name, value(deployment)]),
  ) as Record<DeploymentName, T>;
}

type CartDeployment = Extract<(typeof DEPLOYMENTS)[number], { image: 'cart' }>;
/** The deployments that run the cart: `cart` (sessions in Redis), `cart-legacy` (in memory). */
export type CartApp = CartDeployment['name'];
/** Where each cart is served: the prefix its ROUTE_PREFIX and the entry point give it. */
export type CartPrefix = CartDeployment['prefixes'][number];

export const CARTS: ReadonlyArray<{ app: CartApp; prefix: CartPrefix }> =
  DEPLOYMENTS.filter(
    (deployment): deployment is CartDeployment => deployment.image === 'cart',
  ).map((deployment) => ({
    app: deployment.name,
    prefix: deployment.prefixes[0],
  }));

/** One value per cart, keyed by where it is served: `{ '/cart': value(cart), '/legacy-cart': … }`. */
export function perCart<T>(
  value: (cart: (typeof CARTS)[number]) => T,
): Record<CartPrefix, T> {
  return Object.fromEntries(
    CARTS.map((cart) => [cart.prefix, value(cart)]),
  ) as Record<CartPrefix, T>;
}

export function isCartApp(app: string): app is CartApp {
  return CARTS.some((cart) => cart.app === app);
}

export function cartPrefixOf(app: CartApp): CartPrefix {
  return (CARTS.find((cart) => cart.app === app) ?? CARTS[0]).prefix;
}

export function cartAppOf(prefix: CartPrefix): CartApp {
  return (CARTS.find((cart) => cart.prefix === prefix) ?? CARTS[0]).app;
}

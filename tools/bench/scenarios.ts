import type { AutocannonRequest } from 'autocannon';
import { IDEMPOTENCY_KEY_HEADER, type TokenResponse } from '@app/contracts';
import { DEPLOYMENT_NAMES, type DeploymentName } from '../deployments';
import type { LoadTarget } from './measure';
import { ReplicatedOrderPods, type WaitSetting } from './replicated-orders';
import type { BaselineName, RunningServer } from './servers';
import { READER, type BenchStack } from './stack';

export type Group =
  | 'baselines'
  | 'identity per request'
  | 'real routes'
  | 'gateway'
  | 'scale-out';

export interface Scenario {
  id: string;
  group: Group;
  label: string;
  /** Where the load goes: straight to one pod, or through the gateway. */
  via: string;
  note?: string;
  /** Fewer connections than the plan's (login only: scrypt is meant to be slow). */
  connections?: number;
  /** A second ratio worth reading, e.g. the gateway against the same route straight to the pod. */
  compareWith?: string;
  prepare?: () => Promise<void>;
  target: LoadTarget;
}

/** What the rows need from the running system: where things are, and who is logged in. */
export interface Fixtures {
  baselines: Record<BaselineName, RunningServer>;
  pods: Record<DeploymentName, string>;
  /** Each pod's process, for CPU per request. */
  podPids: Record<DeploymentName, number>;
  /** The same order build on Express (servers.ts), beside the stack's order pod on Fastify. */
  orderOnExpress: RunningServer;
  gateway: string;
  aliceToken: string;
  readerToken: string;
  aliceOrderId: string;
  cartCookie: string;
  legacyCartCookie: string;
  /** Many carts for POST /cart/items, so that no cart reaches its per-line cap of 99. */
  cartItemCookies: string[];
}

const ORDER_BODY = JSON.stringify({
  items: [{ sku: 'americano', qty: 2 }],
  payment: 'card',
});
const CART_ITEM_SESSIONS = 64;
/** Adds per cart line before the line is removed: below the cap (99) with a margin. */
const ADDS_BEFORE_REMOVE = 90;

async function postJson<T>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ body: T; cookies: string[] }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
  return {
    body: (await response.json()) as T,
    cookies: response.headers.getSetCookie().map((c) => c.split(';')[0]),
  };
}

export async function login(
  authUrl: string,
  username: string,
  password: string,
) {
  const { body } = await postJson<TokenResponse>(`${authUrl}/auth/login`, {
    username,
    password,
  });
  return body.access_token;
}

async function cartSession(cartUrl: string, prefix: string, token: string) {
  const { cookies } = await postJson(`${cartUrl}${prefix}/login`, undefined, {
    authorization: `Bearer ${token}`,
  });
  const cookie = cookies.find((pair) => pair.includes('_sid='));
  if (!cookie) throw new Error(`${prefix}/login set no session cookie`);
  return cookie;
}

/** Logs users in, places the order GET /orders/:id reads and opens the cart sessions. */
export async function prepareFixtures(
  stack: BenchStack,
  baselines: Record<BaselineName, RunningServer>,
  orderOnExpress: RunningServer,
): Promise<Fixtures> {
  const apps = DEPLOYMENT_NAMES;
  const urls = await Promise.all(apps.map((app) => stack.podUrl(app)));
  const pods = Object.fromEntries(
    apps.map((app, index) => [app, urls[index]]),
  ) as Record<DeploymentName, string>;
  const running = await stack.pods();
  const podPids = Object.fromEntries(
    apps.map((app) => [
      app,
      running.find(
        (pod) =>
          pod.app === app && urls[apps.indexOf(app)].endsWith(`:${pod.port}`),
      )?.pid,
    ]),
  ) as Record<DeploymentName, number>;
  const aliceToken = await login(pods.auth, 'alice', 'alice');
  const readerToken = await login(pods.auth, READER.username, READER.password);
  const bearer = { authorization: `Bearer ${aliceToken}` };
  const { body: order } = await postJson<{ id: string }>(
    `${pods.order}/orders`,
    JSON.parse(ORDER_BODY),
    bearer,
  );
  const cartItemCookies = await Promise.all(
    Array.from({ length: CART_ITEM_SESSIONS }, () =>
      cartSession(pods.cart, '/cart', aliceToken),
    ),
  );
  return {
    baselines,
    pods,
    podPids,
    orderOnExpress,
    gateway: stack.url,
    aliceToken,
    readerToken,
    aliceOrderId: order.id,
    cartCookie: await cartSession(pods.cart, '/cart', aliceToken),
    legacyCartCookie: await cartSession(
      pods['cart-legacy'],
      '/legacy-cart',
      aliceToken,
    ),
    cartItemCookies,
  };
}

/** Each request a new Idempotency-Key: every POST places a new order (no replays). */
function distinctIdempotencyKeys(): LoadTarget['nextRequest'] {
  let sequence = 0;
  const run = Date.now().toString(36);
  return (request: AutocannonRequest) => ({
    ...request,
    headers: {
      ...request.headers,
      [IDEMPOTENCY_KEY_HEADER]: `bench-${run}-${sequence++}`,
    },
  });
}

/**
 * Round-robin over many carts, one SKU each, removing the line (DELETE) after 90 adds so no
 * line reaches the cap of 99 and no request is a planned 400. With 64 carts and 16 connections
 * no two requests of one cart are in flight together, so the client-side count stays exact.
 */
function cartItemTraffic(cookies: string[]): LoadTarget['nextRequest'] {
  const adds = cookies.map(() => 0);
  let sequence = 0;
  return (request: AutocannonRequest) => {
    const cart = sequence++ % cookies.length;
    const headers = { ...request.headers, cookie: cookies[cart] };
    if (adds[cart] === ADDS_BEFORE_REMOVE) {
      adds[cart] = 0;
      return {
        ...request,
        method: 'DELETE',
        path: '/cart/items/americano',
        headers,
        body: undefined,
      };
    }
    adds[cart] += 1;
    return {
      ...request,
      method: 'POST',
      path: '/cart/items',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{"sku":"americano","qty":1}',
    };
  };
}

export function scenarios(f: Fixtures, stack: BenchStack): Scenario[] {
  const alice = { authorization: `Bearer ${f.aliceToken}` };
  const reader = { authorization: `Bearer ${f.readerToken}` };
  const json = { 'content-type': 'application/json' };
  // The gateway row is also scale-out's first step (order×1): the same route, more replicas.
  const scaleOut = (replicas: number): Scenario => ({
    id: `menu-gateway-${replicas}`,
    group: replicas === 1 ? 'gateway' : 'scale-out',
    label: 'GET /menu',
    via: `gateway → order×${replicas}`,
    compareWith: replicas === 1 ? 'menu' : 'menu-gateway-1',
    note:
      replicas === 1
        ? "the local gateway's own cost: http-proxy with keep-alive upstreams, in a process of its own"
        : 'order replicas added (lab API scale) while everything else stays; same 2 cores',
    prepare: () => stack.scale('order', replicas),
    target: { url: `${f.gateway}/menu` },
  });
  // The cost of WAIT: the same POST /orders on two pods of the bench's own, a replica attached
  // to Redis, ORDER_WAIT_REPLICAS 0 and 1. The URL is known once the first of them has started.
  const replicated = new ReplicatedOrderPods(stack);
  const placeOrderReplicated = (wait: WaitSetting): Scenario => {
    const target: LoadTarget = {
      url: '',
      method: 'POST',
      headers: { ...alice, ...json },
      body: ORDER_BODY,
      nextRequest: distinctIdempotencyKeys(),
    };
    return {
      id: wait === 'on' ? 'place-order-wait' : 'place-order-replicated',
      group: 'real routes',
      label:
        wait === 'on'
          ? 'POST /orders, WAIT 1 (ORDER_WAIT_REPLICAS=1)'
          : 'POST /orders, a replica attached, WAIT off',
      via: `own order pod, Redis + replica`,
      compareWith: wait === 'on' ? 'place-order-replicated' : 'place-order',
      note:
        wait === 'on'
          ? 'the script and WAIT 1 500 in one pipeline: 201 only once the replica holds the order. Its ratio to the row above is the cost of WAIT'
          : 'the same route on a pod of the bench’s own, Redis now replicating to a replica (AOF, fsync every second) next to it',
      prepare: () => replicated.aim(target, wait),
      target,
    };
  };
  return [
    {
      id: 'node-http',
      group: 'baselines',
      label: 'hello, node:http',
      via: 'own process',
      note: 'the ceiling: no framework, a constant body',
      target: {
        url: f.baselines['node-http'].url,
        pid: f.baselines['node-http'].pid,
      },
    },
    {
      id: 'bare-nest',
      group: 'baselines',
      label: 'hello, bare Nest (Express)',
      via: 'own process',
      note: 'a reference (1.00): one controller, no guard/middleware/filters/pipes/Redis, on Express (what cart runs on)',
      target: { url: f.baselines.nest.url, pid: f.baselines.nest.pid },
    },
    {
      id: 'bare-nest-fastify',
      group: 'baselines',
      label: 'hello, bare Nest (Fastify)',
      via: 'own process',
      note: 'the other reference (1.00): the same controller on Fastify (what order and auth run on)',
      target: {
        url: f.baselines['nest-fastify'].url,
        pid: f.baselines['nest-fastify'].pid,
      },
    },
    {
      id: 'menu',
      group: 'identity per request',
      label: 'GET /menu (no identity)',
      via: 'order pod',
      note: 'public route of a product app: its conventions (pod header, guard lookup, filters), no identity, no Redis',
      target: { url: `${f.pods.order}/menu`, pid: f.podPids.order },
    },
    {
      id: 'orders-empty',
      group: 'identity per request',
      label: 'GET /orders (JWT, 0 orders)',
      via: 'order pod',
      compareWith: 'menu',
      note: 'bearer JWT verified (ES256, JWKS cached) + one ZRANGE on an empty index: the closest route to an authenticated no-op without changing the app',
      target: {
        url: `${f.pods.order}/orders`,
        headers: reader,
        pid: f.podPids.order,
      },
    },
    {
      id: 'menu-express',
      group: 'identity per request',
      label: 'GET /menu (no identity)',
      via: 'order on Express',
      compareWith: 'menu',
      note: 'the same order build with HTTP_ADAPTER=express (bench only): the framework’s share of the order pod’s cost',
      target: {
        url: `${f.orderOnExpress.url}/menu`,
        pid: f.orderOnExpress.pid,
      },
    },
    {
      id: 'orders-empty-express',
      group: 'identity per request',
      label: 'GET /orders (JWT, 0 orders)',
      via: 'order on Express',
      compareWith: 'orders-empty',
      note: 'as GET /orders on the order pod, on Express',
      target: {
        url: `${f.orderOnExpress.url}/orders`,
        headers: reader,
        pid: f.orderOnExpress.pid,
      },
    },
    {
      id: 'cart-show',
      group: 'identity per request',
      label: 'GET /cart (session in Redis)',
      via: 'cart pod',
      // Like with like: cart is an Express app, so its price of state is read against order on Express.
      compareWith: 'menu-express',
      note: 'express-session + connect-redis: session GET, then (rolling) EXPIRE and a re-signed Set-Cookie on every response; no JWT',
      target: {
        url: `${f.pods.cart}/cart`,
        headers: { cookie: f.cartCookie },
        pid: f.podPids.cart,
      },
    },
    {
      id: 'legacy-cart-show',
      group: 'identity per request',
      label: 'GET /legacy-cart (session in memory)',
      via: 'cart-legacy pod',
      compareWith: 'menu-express',
      note: 'express-session MemoryStore: fast because the session lives in this one process — the state a pod kill loses',
      target: {
        url: `${f.pods['cart-legacy']}/legacy-cart`,
        headers: { cookie: f.legacyCartCookie },
        pid: f.podPids['cart-legacy'],
      },
    },
    {
      id: 'order-by-id',
      group: 'real routes',
      label: 'GET /orders/:id',
      via: 'order pod',
      target: {
        url: `${f.pods.order}/orders/${f.aliceOrderId}`,
        headers: alice,
        pid: f.podPids.order,
      },
    },
    {
      id: 'place-order',
      group: 'real routes',
      label: 'POST /orders (new Idempotency-Key each)',
      via: 'order pod',
      note: 'JWT + zod + pricing + one Lua script (idempotency claim, order, index) per request',
      target: {
        url: `${f.pods.order}/orders`,
        method: 'POST',
        headers: { ...alice, ...json },
        body: ORDER_BODY,
        nextRequest: distinctIdempotencyKeys(),
        pid: f.podPids.order,
      },
    },
    {
      id: 'list-orders-full',
      group: 'real routes',
      label: 'GET /orders (alice, 100 orders)',
      via: 'order pod',
      compareWith: 'orders-empty',
      note: 'after POST /orders: the list is capped at 100, always returned whole (MGET of 100 keys, 100 JSON.parse, ~20 kB)',
      target: {
        url: `${f.pods.order}/orders`,
        headers: alice,
        pid: f.podPids.order,
      },
    },
    {
      id: 'cart-add',
      group: 'real routes',
      label: 'POST /cart/items',
      via: 'cart pod',
      note: `${CART_ITEM_SESSIONS} carts in turn; every ${ADDS_BEFORE_REMOVE + 1}th request of a cart is DELETE /cart/items/americano, so no line hits the cap of 99. Six Redis round trips per add: session GET, lock SET NX, reload GET, save SET, unlock EVAL, rolling EXPIRE`,
      target: {
        url: `${f.pods.cart}/cart/items`,
        nextRequest: cartItemTraffic(f.cartItemCookies),
        pid: f.podPids.cart,
      },
    },
    {
      id: 'jwks',
      group: 'real routes',
      label: 'GET /auth/.well-known/jwks.json',
      via: 'auth pod',
      target: {
        url: `${f.pods.auth}/auth/.well-known/jwks.json`,
        pid: f.podPids.auth,
      },
    },
    {
      id: 'login',
      group: 'real routes',
      label: 'POST /auth/login (4 connections)',
      via: 'auth pod',
      connections: 4,
      note: 'scrypt (N=16384) per attempt is the point: slow on purpose; 4 connections = the libuv pool that runs it. Not comparable to the other rows',
      target: {
        url: `${f.pods.auth}/auth/login`,
        method: 'POST',
        headers: json,
        body: JSON.stringify({ username: 'alice', password: 'alice' }),
        pid: f.podPids.auth,
      },
    },
    scaleOut(1),
    scaleOut(2),
    scaleOut(3),
    placeOrderReplicated('off'),
    placeOrderReplicated('on'),
  ];
}

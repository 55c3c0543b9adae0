import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenResponse } from '@app/contracts';
import { generateDevKey } from '../../tools/secrets/generate-dev-keys';
import { TestRedisServer } from './redis-server';
import { secretsIn } from './secrets-in-logs';
import { ServiceProcess } from './service-process';

export const TEST_ISSUER = 'http://auth.test';
export const DEMO_USERS = 'alice:alice-password,bob:bob-password';

/** A fresh signing key set in a temp dir, as `npm run keys` makes one. */
export class TestKeySet {
  readonly directory = mkdtempSync(join(tmpdir(), 'what-survives-keys-'));
  readonly kids: string[] = [];

  constructor(algorithm: 'ES256' | 'RS256' = 'ES256') {
    this.add(algorithm);
  }

  add(algorithm: 'ES256' | 'RS256' = 'ES256'): string {
    const kid = generateDevKey(this.directory, algorithm);
    this.kids.push(kid);
    return kid;
  }

  remove(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}

export function startAuth(
  redisUrl: string,
  keys: TestKeySet | undefined,
  environment: Record<string, string> = {},
): Promise<ServiceProcess> {
  return ServiceProcess.start('auth', {
    REDIS_URL: redisUrl,
    AUTH_ISSUER: TEST_ISSUER,
    AUTH_USERS: DEMO_USERS,
    ...(keys
      ? { AUTH_KEYS_DIR: keys.directory }
      : { AUTH_KEY_MODE: 'per-pod' }),
    ...environment,
  });
}

/** What order and cart need to verify the tokens of this auth process. */
function verifierOf(auth: ServiceProcess): Record<string, string> {
  return {
    AUTH_ISSUER: TEST_ISSUER,
    AUTH_JWKS_URL: `${auth.url}/auth/.well-known/jwks.json`,
  };
}

export function startOrder(
  redisUrl: string,
  auth: ServiceProcess,
  environment: Record<string, string> = {},
): Promise<ServiceProcess> {
  return ServiceProcess.start('order', {
    REDIS_URL: redisUrl,
    ...verifierOf(auth),
    ...environment,
  });
}

export const TEST_SESSION_SECRET = 'test-session-secret-0123456789abcdef';

export function startCart(
  store: 'redis' | 'memory',
  order: ServiceProcess,
  auth: ServiceProcess,
  environment: Record<string, string> = {},
): Promise<ServiceProcess> {
  return ServiceProcess.start('cart', {
    SESSION_STORE: store,
    SESSION_SECRETS: TEST_SESSION_SECRET,
    ...verifierOf(auth),
    ORDER_URL: order.url,
    ...environment,
  });
}

type Stoppable = { stop(): Promise<unknown> };

/** What most specs stand on (`TestServices.backend()`). */
export interface Backend {
  redis: TestRedisServer;
  auth: ServiceProcess;
  order: ServiceProcess;
}

/** Which Redis a service uses and, for auth, which signing keys. */
export interface Placement {
  /** Default: the block's Redis (`redis()`). */
  redis?: TestRedisServer | string;
  /** Default: the block's key set (`keys`); `'per-pod'`: AUTH_KEY_MODE=per-pod. */
  keys?: TestKeySet | 'per-pod';
}

/**
 * What one describe block stands on, started on free ports and remembered: a Redis of its own
 * (`redis()`, started on first use; `startRedis()` for more), a signing key set of its own
 * (`keys`), auth, order and cart processes verifying that key set. `stop()` (the block's
 * afterAll) stops every one of them by pid, scans the services' logs for secrets (stopAll) and
 * removes the key sets, also when a beforeAll failed half-way.
 */
export class TestServices {
  private readonly started: Stoppable[] = [];
  private readonly keySets: TestKeySet[] = [];
  private ownRedis?: Promise<TestRedisServer>;
  private ownKeys?: TestKeySet;

  /** The Redis auth, order and cart use unless told otherwise. */
  redis(): Promise<TestRedisServer> {
    return (this.ownRedis ??= this.startRedis());
  }

  /** Another Redis of the block's own (order's apart from auth's, one a test kills, ...). */
  startRedis(
    options?: Parameters<typeof TestRedisServer.start>[0],
  ): Promise<TestRedisServer> {
    return this.track(TestRedisServer.start(options));
  }

  /** The key set auth signs with unless told otherwise. */
  get keys(): TestKeySet {
    return (this.ownKeys ??= this.newKeySet());
  }

  newKeySet(algorithm?: 'ES256' | 'RS256'): TestKeySet {
    const keys = new TestKeySet(algorithm);
    this.keySets.push(keys);
    return keys;
  }

  async auth(
    environment: Record<string, string> = {},
    { redis, keys = this.keys }: Placement = {},
  ): Promise<ServiceProcess> {
    return this.track(
      startAuth(
        await this.urlOf(redis),
        keys === 'per-pod' ? undefined : keys,
        environment,
      ),
    );
  }

  async order(
    auth: ServiceProcess,
    environment: Record<string, string> = {},
    { redis }: Pick<Placement, 'redis'> = {},
  ): Promise<ServiceProcess> {
    return this.track(startOrder(await this.urlOf(redis), auth, environment));
  }

  /** A cart with the Redis store keeps its sessions in the block's Redis unless REDIS_URL is given. */
  async cart(
    store: 'redis' | 'memory',
    order: ServiceProcess,
    auth: ServiceProcess,
    environment: Record<string, string> = {},
  ): Promise<ServiceProcess> {
    return this.track(
      startCart(store, order, auth, {
        ...(store === 'redis' && !environment.REDIS_URL
          ? { REDIS_URL: await this.urlOf() }
          : {}),
        ...environment,
      }),
    );
  }

  /** The usual three: the block's Redis, auth on the block's keys, order verifying auth's tokens. */
  async backend(
    options: { orderEnvironment?: Record<string, string> } = {},
  ): Promise<Backend> {
    const redis = await this.redis();
    const auth = await this.auth();
    const order = await this.order(auth, options.orderEnvironment);
    return { redis, auth, order };
  }

  /** Remembers what a spec started itself, so that stop() stops it too. */
  async track<T extends Stoppable>(service: T | Promise<T>): Promise<T> {
    const started = await service;
    this.started.push(started);
    return started;
  }

  async stop(): Promise<void> {
    try {
      await stopAll(...this.started);
    } finally {
      this.keySets.forEach((keys) => keys.remove());
    }
  }

  private async urlOf(redis?: TestRedisServer | string): Promise<string> {
    if (typeof redis === 'string') return redis;
    return (redis ?? (await this.redis())).url;
  }
}

export async function login(
  auth: ServiceProcess | string,
  username = 'alice',
  password = `${username}-password`,
): Promise<TokenResponse> {
  const base = typeof auth === 'string' ? auth : auth.url;
  const response = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200) {
    throw new Error(
      `login of ${username} failed: ${response.status} ${await response.text()}`,
    );
  }
  return (await response.json()) as TokenResponse;
}

/**
 * Stops what a spec started (every afterAll calls this), then checks every service process's
 * captured log for tokens, session cookies and test passwords: no spec may leave a secret in a log.
 */
export async function stopAll(...services: Array<Stoppable | undefined>) {
  await Promise.all(services.map((service) => service?.stop()));
  const leaks = services
    .filter(
      (service): service is ServiceProcess => service instanceof ServiceProcess,
    )
    .flatMap((service) =>
      secretsIn(service.output.join('')).map(
        (leak) => `${service.app}: ${leak}`,
      ),
    );
  if (leaks.length)
    throw new Error(`secrets in service logs:\n${leaks.join('\n')}`);
}

/** Test responses are read as loosely typed JSON; each assertion states the shape it expects. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonResponse = Omit<Response, 'json'> & { json(): Promise<any> };

/** A browser-like client of one cart prefix: keeps the session cookie it was given. */
export class CartClient {
  cookie?: string;

  constructor(
    public baseUrl: string,
    readonly prefix: '/cart' | '/legacy-cart',
  ) {}

  async login(accessToken: string): Promise<JsonResponse> {
    const response = await this.call('POST', '/login', undefined, {
      authorization: `Bearer ${accessToken}`,
    });
    if (response.status !== 200)
      throw new Error(`cart login: ${response.status}`);
    return response;
  }

  show() {
    return this.call('GET', '');
  }

  add(sku: string, qty: number) {
    return this.call('POST', '/items', { sku, qty });
  }

  pay(method: string) {
    return this.call('PUT', '/payment', { method });
  }

  /** `{}` as JSON: the cart refuses a write that is not `application/json` (CSRF). */
  checkout() {
    return this.call('POST', '/checkout', {});
  }

  logout() {
    return this.call('POST', '/logout', {});
  }

  /** The session id inside the signed cookie (`s:<id>.<signature>`). */
  get sessionId(): string | undefined {
    const value = decodeURIComponent(this.cookie?.split('=')[1] ?? '');
    return /^s:([^.]+)\./.exec(value)?.[1];
  }

  /** A JSON body (with its content type) when `body` is given; `headers` override. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<JsonResponse> {
    return this.send(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
      {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
    );
  }

  /** The body as given, with only the headers given (and the cookie): what a form would send. */
  async send(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string> = {},
  ): Promise<JsonResponse> {
    const response = await fetch(`${this.baseUrl}${this.prefix}${path}`, {
      method,
      headers: {
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...headers,
      },
      body,
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    return response as JsonResponse;
  }
}

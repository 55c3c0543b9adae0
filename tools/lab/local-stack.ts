import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryPointOf, type BuiltApp } from '../build/ensure-built';
import {
  DEPLOYMENT_NAMES,
  deploymentOf,
  perDeployment,
  type DeploymentName,
} from '../deployments';
import { generateDevKey } from '../secrets/generate-dev-keys';
import {
  memoryLimitBytesOf,
  rolloutStrategyOf,
  type RollingUpdateStrategy,
} from './deployment-manifest';
import { freePort } from './free-port';
import { createGateway, sendJson, type GatewaySettings } from './gateway';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLabApi } from './lab-api';
import { foreignRequestError, LabHttpError } from './lab-request';
import type { PodTemplate } from './pod';
import { redisServerArguments } from '../process/redis-server';
import { httpProbe, redisPingProbe } from './probes';
import {
  RedisSentinelStack,
  SENTINEL_MASTER_NAME,
} from './redis-sentinel-stack';
import { Supervisor } from './supervisor';

export const DEMO_USERS = 'alice:alice,bob:bob';

export interface LocalStackOptions {
  /** Gateway port; 0 picks a free one. */
  labPort?: number;
  replicas?: Partial<Record<DeploymentName, number>>;
  /** Use this Redis instead of starting one (then Redis is not a pod of the stack). */
  redisUrl?: string;
  /** AOF on the stack's own Redis (a StatefulSet with a volume); off = a cache that forgets. */
  redisPersistence?: boolean;
  /**
   * `single` (default): one Redis pod. `sentinel`: redis-0..2 (a primary, two replicas) and
   * sentinel-0..2, the apps connecting through the Sentinels (`LAB_REDIS=sentinel`).
   */
  redisMode?: 'single' | 'sentinel';
  authKeyMode?: 'shared' | 'per-pod';
  /** AUTH_REVOCATION of auth and every verifier; `denylist` gives cart-legacy a Redis too. */
  authRevocation?: 'none' | 'denylist';
  legacyCartAffinity?: boolean;
  users?: string;
  /** SHUTDOWN_DRAIN_MS of every pod; the gateway sees readiness within 200 ms. */
  drainMs?: number;
  /**
   * Rollout rules instead of the manifest's (k8s/base/<app>/deployment.yaml): the experiment's
   * sabotage breaks them on purpose.
   */
  rolloutStrategy?: Partial<Record<DeploymentName, RollingUpdateStrategy>>;
  /**
   * Memory limits instead of the manifests' `resources.limits.memory`, bytes: a quick run lowers
   * cart-legacy's so a session flood reaches it in seconds (its report says so).
   */
  memoryLimitBytes?: Partial<Record<DeploymentName, number>>;
  /** Extra environment for every pod of an app (e.g. LOG_LEVEL). */
  environment?: Partial<Record<DeploymentName, Record<string, string>>>;
}

/** Routes served next to the lab API (the dashboard): `handle` answers true when it took the request. */
export interface LabExtension {
  handle(
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
  ): boolean | Promise<boolean>;
  close(): Promise<void>;
}

/** Every response a pod gave through the gateway: which app, which pod, what status. */
export type ProxiedListener = (
  app: string,
  pod: string,
  status: number,
) => void;

/**
 * The whole system as real processes on one machine: Redis (StatefulSet-like), auth, order,
 * cart and cart-legacy (Deployment-like), and the gateway that plays Ingress + Service.
 */
export class LocalStack {
  readonly supervisor: Supervisor;
  private gateway?: Server;
  private readonly workDirectory = mkdtempSync(
    join(tmpdir(), 'what-survives-lab-'),
  );
  readonly logDirectory = join(this.workDirectory, 'logs');
  private port = 0;
  private redisUrl = '';
  /** Set in `redisMode: 'sentinel'`: the nodes, the Sentinels and who is primary now. */
  redisSentinel?: RedisSentinelStack;
  readonly gatewaySettings: GatewaySettings;
  private readonly extensions: LabExtension[] = [];
  private readonly proxiedListeners = new Set<ProxiedListener>();

  private constructor(private readonly options: LocalStackOptions) {
    mkdirSync(this.logDirectory);
    this.supervisor = new Supervisor(this.logDirectory);
    this.gatewaySettings = {
      legacyCartAffinity: options.legacyCartAffinity ?? true,
    };
  }

  static async start(options: LocalStackOptions = {}): Promise<LocalStack> {
    const stack = new LocalStack(options);
    try {
      await stack.boot();
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get redis(): string {
    return this.redisUrl;
  }

  /** The `name:password,...` users the auth pods accept. */
  get users(): string {
    return this.options.users ?? DEMO_USERS;
  }

  /** Serves `extension`'s routes before the lab API's; `stop()` closes it first. */
  mount(extension: LabExtension): void {
    this.extensions.push(extension);
  }

  /** Listens to every pod response the gateway relays; returns the way to stop listening. */
  onProxied(listener: ProxiedListener): () => void {
    this.proxiedListeners.add(listener);
    return () => this.proxiedListeners.delete(listener);
  }

  private async boot(): Promise<void> {
    const options = this.options;
    this.port =
      options.labPort === 0 ? await freePort() : (options.labPort ?? 8080);

    if (options.redisUrl) {
      this.redisUrl = options.redisUrl;
    } else if (options.redisMode === 'sentinel') {
      this.redisSentinel = await RedisSentinelStack.create(
        join(this.workDirectory, 'redis-sentinel'),
        options.redisPersistence ?? true,
      );
      // Credentials only (none here): with REDIS_SENTINELS the apps dial whom the Sentinels name.
      this.redisUrl = `redis://127.0.0.1:${this.redisSentinel.primaryPort}`;
      await this.redisSentinel.start(this.supervisor);
    } else {
      const redisPort = await freePort();
      this.redisUrl = `redis://127.0.0.1:${redisPort}`;
      await this.supervisor.apply({
        kind: 'StatefulSet',
        replicas: 1,
        template: this.redisTemplate(
          redisPort,
          options.redisPersistence ?? true,
        ),
      });
      await this.supervisor.waitAllReady(30_000, { failFast: true });
    }

    // The gateway first: order and cart reach auth's JWKS and order through it, as through Services.
    const labApi = createLabApi(this.supervisor, this.gatewaySettings);
    const gateway = createGateway({
      readyPods: (app) => this.supervisor.readyPods(app),
      settings: this.gatewaySettings,
      // What no app route took is the lab's: for the stack's own origin only.
      fallback: async (request, response, body) => {
        try {
          const foreign = foreignRequestError(request);
          if (foreign) throw foreign;
          for (const extension of this.extensions) {
            if (await extension.handle(request, response, body)) return;
          }
          await labApi(request, response, body);
        } catch (error) {
          if (error instanceof LabHttpError)
            return sendJson(response, error.statusCode, error.body);
          sendJson(response, 500, {
            statusCode: 500,
            error: 'Internal Server Error',
            message: (error as Error).message,
          });
        }
      },
      onProxied: (app, pod, status) =>
        this.proxiedListeners.forEach((listener) =>
          listener(app, pod.name, status),
        ),
    });
    await new Promise<void>((resolve, reject) => {
      gateway.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(
                `the gateway cannot listen on 127.0.0.1:${this.port}: the port is taken (LAB_PORT picks another)`,
              )
            : error,
        ),
      );
      gateway.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.gateway = gateway;

    // The manifests' counts unless asked otherwise.
    const replicas = {
      ...perDeployment((deployment) => deployment.replicas),
      ...options.replicas,
    };
    await Promise.all(
      DEPLOYMENT_NAMES.map((app) =>
        this.supervisor.apply({
          kind: 'Deployment',
          replicas: replicas[app],
          template: this.appTemplate(app),
          strategy: options.rolloutStrategy?.[app] ?? rolloutStrategyOf(app),
        }),
      ),
    );
    await this.supervisor.waitAllReady(60_000, { failFast: true });
  }

  /** Stops everything the stack started: pods (SIGTERM, then SIGKILL), the gateway, its files. */
  async stop(gracePeriodMs = 5000): Promise<void> {
    await Promise.all(
      this.extensions.splice(0).map((extension) => extension.close()),
    );
    this.redisSentinel?.stop();
    await this.supervisor.shutdown(gracePeriodMs);
    if (this.gateway) {
      this.gateway.closeAllConnections();
      await new Promise((resolve) => this.gateway?.close(resolve));
    }
    rmSync(this.workDirectory, { recursive: true, force: true });
  }

  private appTemplate(app: DeploymentName): PodTemplate {
    const options = this.options;
    const gateway = this.url;
    const keysDirectory = join(this.workDirectory, 'auth-keys');
    const sessionSecret = randomBytes(32).toString('hex');
    const authKeyMode = options.authKeyMode ?? 'shared';
    if (app === 'auth' && authKeyMode === 'shared')
      generateDevKey(keysDirectory);
    const image: BuiltApp = deploymentOf(app).image;
    // The demo accounts are shared: `npm run experiment -- --url` spreads up to 200 virtual
    // users over alice and bob, the dashboard runs 20 on one account, the bench opens 65 carts
    // as alice. Each needs a live session of its own, so the cart's default of 5 per user
    // (SESSION_MAX_PER_USER) would revoke theirs; 100 keeps them and still bounds each account.
    const sessionsPerUser = '100';
    const common = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'log',
      SHUTDOWN_DRAIN_MS: String(options.drainMs ?? 1000),
      // Loopback only, like the gateway: nothing on the LAN reaches a pod (or its /metrics)
      // around the gateway, and the pods' TRUST_PROXY default (loopback) means the gateway.
      HOST: '127.0.0.1',
      AUTH_ISSUER: `${gateway}/auth`,
      AUTH_JWKS_URL: `${gateway}/auth/.well-known/jwks.json`,
      AUTH_REVOCATION: options.authRevocation ?? 'none',
    };
    const throughSentinel: Record<string, string> = this.redisSentinel
      ? {
          REDIS_SENTINELS: this.redisSentinel.sentinels,
          REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME,
        }
      : {};
    const perApp: Record<DeploymentName, Record<string, string>> = {
      auth: {
        REDIS_URL: this.redisUrl,
        ...throughSentinel,
        AUTH_KEY_MODE: authKeyMode,
        ...(authKeyMode === 'shared' ? { AUTH_KEYS_DIR: keysDirectory } : {}),
        AUTH_USERS: options.users ?? DEMO_USERS,
        // Demo users share one client address: a generous limit keeps the experiment honest.
        AUTH_LOGIN_MAX_FAILURES: '50',
        // Above the per-address limit, which every local client shares: that one stays visible.
        AUTH_LOGIN_ACCOUNT_MAX_FAILURES: '100',
      },
      order: {
        REDIS_URL: this.redisUrl,
        ...throughSentinel,
        // The stack's users are load generators, not customers: the experiment's virtual users
        // and the survival suite order as fast as the stack answers (with `--url`, up to 15 of
        // them share one demo account) and look up every order they placed. The defaults (30
        // orders per user per minute, the newest 100 kept) would answer them 429 and delete the
        // orders they check. Still a bound: at most 100,000 kept orders per user, as many per
        // minute.
        ORDER_RATE_LIMIT_MAX_ORDERS: '100000',
        ORDER_HISTORY_LIMIT: '100000',
      },
      cart: {
        REDIS_URL: this.redisUrl,
        ...throughSentinel,
        SESSION_STORE: 'redis',
        SESSION_SECRETS: sessionSecret,
        SESSION_MAX_PER_USER: sessionsPerUser,
        ORDER_URL: gateway,
      },
      'cart-legacy': {
        // Sessions stay in memory; the denylist is the one thing it would ask Redis.
        ...(options.authRevocation === 'denylist'
          ? { REDIS_URL: this.redisUrl }
          : {}),
        SESSION_STORE: 'memory',
        SESSION_SECRETS: sessionSecret,
        SESSION_MAX_PER_USER: sessionsPerUser,
        ORDER_URL: gateway,
      },
    };
    return {
      app,
      command: (name, port) => ({
        file: process.execPath,
        // LAB_NODE_ARGS: extra node flags for every app pod, e.g. to profile one under load
        // (`LAB_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench`); NODE_OPTIONS
        // refuses --cpu-prof.
        args: [
          ...(process.env.LAB_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
          entryPointOf(image),
        ],
        env: {
          ...common,
          ...perApp[app],
          ...options.environment?.[app],
          POD_NAME: name,
          PORT: String(port),
        },
      }),
      probe: (port) => httpProbe(port, '/healthz/ready'),
      // The kubelet's limit, from the manifest: RSS over it is an OOM kill (OomWatcher).
      memoryLimitBytes:
        options.memoryLimitBytes?.[app] ?? memoryLimitBytesOf(app),
    };
  }

  private redisTemplate(port: number, persistence: boolean): PodTemplate {
    const dataDirectory = join(this.workDirectory, 'redis-data');
    mkdirSync(dataDirectory);
    return {
      app: 'redis',
      fixedPort: port,
      command: () => ({
        file: 'redis-server',
        // AOF fsync-always: every write on disk before the reply, so the experiment's "Redis
        // SIGKILLed" row is exact.
        args: redisServerArguments({
          port,
          dataDirectory,
          appendOnly: persistence,
        }),
        env: { PATH: process.env.PATH },
      }),
      probe: redisPingProbe,
    };
  }
}

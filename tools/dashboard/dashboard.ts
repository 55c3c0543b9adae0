import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import {
  DEPLOYMENT_NAMES,
  isDeploymentName,
  type DeploymentName,
} from '../deployments';
import type { ClusterDriver, PodSummary } from '../drivers/cluster-driver';
import { LocalDriver } from '../drivers/local-driver';
import { jsonObjectBody, LabHttpError, labUrlOf } from '../lab/lab-request';
import type {
  LabExtension,
  LocalStack,
  ProxiedListener,
} from '../lab/local-stack';
import { DemoUser } from './demo-user';
import { PerSecondCounter } from './per-second-counter';
import { RedisWatch } from './redis-watch';
import { MAX_VIRTUAL_USERS, VirtualUserLoad } from './virtual-user-load';

/** The most replicas the dashboard's "Scale out" asks for (the lab API takes up to 20). */
const MAX_REPLICAS = 10;
const DEFAULT_VIRTUAL_USERS = 4;
const MAX_GRACE_SECONDS = 300;
const UI_DIRECTORY = join(__dirname, 'ui');

/** The page and its assets: a fixed list, so no path from a URL ever reaches the file system. */
const ASSETS: Record<string, { file: string; type: string }> = {
  '': { file: join(UI_DIRECTORY, 'index.html'), type: 'text/html' },
  'app.js': { file: join(UI_DIRECTORY, 'app.js'), type: 'text/javascript' },
  'style.css': { file: join(UI_DIRECTORY, 'style.css'), type: 'text/css' },
  'vendor/uPlot.iife.min.js': {
    file: require.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript',
  },
  'vendor/uPlot.min.css': {
    file: require.resolve('uplot/dist/uPlot.min.css'),
    type: 'text/css',
  },
};

/** Nothing from anywhere but this origin, whatever a future edit of the page tries. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface Account {
  username: string;
  password: string;
}

export interface DashboardOptions {
  /** Pods and kills: the local stack or a cluster, through the same interface. */
  driver: ClusterDriver;
  /** The "you" panel's user. */
  demoUser: Account;
  /** The account the virtual users share. */
  loadUser: Account;
  /**
   * Every pod response the entry point relayed (the local gateway). Without it, a pod's
   * requests per second are those the dashboard's own virtual users saw it answer.
   */
  podTraffic?: (listener: ProxiedListener) => () => void;
  virtualUsers?: number;
}

function send(response: ServerResponse, statusCode: number, body: unknown) {
  response.writeHead(statusCode, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(JSON.stringify(body));
}

/** `name:password,...` (the stack's users) → the first two accounts (or the first one twice). */
export function accountsOf(users: string): [Account, Account] {
  const accounts = users.split(',').map((pair) => {
    const [username, ...rest] = pair.split(':');
    return { username, password: rest.join(':') };
  });
  return [accounts[0], accounts[1] ?? accounts[0]];
}

/**
 * The live lab dashboard: the page (`GET /_lab/ui`), its server-sent events (`GET /_lab/events`:
 * pods, per-app successes and failures per second, Redis roles and failovers, the "you" panel) and its actions
 * (`POST /_lab/kills` (`process: true`: kill -9 of the pod's process, restarted in place), `POST /_lab/deploys {app}` (a rollout restart), `POST /_lab/scales {app,
 * replicas}`, `PUT /_lab/load`, `POST /_lab/you/reset`, `POST /_lab/you/logout`). Pods, kills, deploys and scales go through the
 * cluster driver; the virtual users and the demo user live here, in the lab process. Nothing runs
 * until a page is open.
 */
export class Dashboard implements LabExtension {
  private readonly clients = new Set<ServerResponse>();
  private readonly appTraffic = new PerSecondCounter(60);
  private readonly podTraffic = new PerSecondCounter(5);
  private readonly load: VirtualUserLoad;
  private readonly you: DemoUser;
  /** The Redis column: each node's role, each Sentinel's primary, the failovers seen. */
  private readonly redis: RedisWatch;
  private readonly stopListening?: () => void;
  private virtualUsers: number;
  private timer?: NodeJS.Timeout;
  private lastState?: string;
  private closed = false;

  constructor(private readonly options: DashboardOptions) {
    const baseUrl = options.driver.baseUrl;
    this.virtualUsers = options.virtualUsers ?? DEFAULT_VIRTUAL_USERS;
    this.you = new DemoUser(
      baseUrl,
      options.demoUser.username,
      options.demoUser.password,
    );
    this.load = new VirtualUserLoad(
      baseUrl,
      options.loadUser,
      (app, status, pod) => {
        this.appTraffic.record(app, status);
        if (!options.podTraffic && pod) this.podTraffic.record(pod, status);
      },
    );
    this.redis = new RedisWatch(options.driver);
    this.stopListening = options.podTraffic?.((_app, pod, status) =>
      this.podTraffic.record(pod, status),
    );
  }

  /** The dashboard of a local stack: its lab API as the driver, its gateway's counts per pod. */
  static mount(
    stack: LocalStack,
    options: Partial<DashboardOptions> = {},
  ): Dashboard {
    const [demoUser, loadUser] = accountsOf(stack.users);
    const dashboard = new Dashboard({
      driver: LocalDriver.attach(stack.url),
      demoUser,
      loadUser,
      podTraffic: (listener) => stack.onProxied(listener),
      ...options,
    });
    stack.mount(dashboard);
    return dashboard;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.stopListening?.();
    for (const client of this.clients) client.end();
    this.clients.clear();
    await this.load.stop();
    await this.redis.stop();
    this.you.close();
  }

  handle(
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
  ): boolean | Promise<boolean> {
    const path = labUrlOf(request).pathname.replace(/\/$/, '');
    const method = request.method ?? 'GET';
    const route = (
      methods: string[],
      action: () => void | Promise<void>,
    ): Promise<boolean> => this.answer(response, method, methods, action);

    if (path === '/_lab/ui' || path.startsWith('/_lab/ui/')) {
      return route(['GET', 'HEAD'], () =>
        this.asset(response, path.slice('/_lab/ui/'.length)),
      );
    }
    switch (path) {
      case '/_lab/events':
        return route(['GET'], () => this.subscribe(response));
      case '/_lab/load':
        return route(['GET', 'PUT'], () =>
          method === 'PUT'
            ? this.setLoad(response, jsonObjectBody(request, body))
            : send(response, 200, this.loadView()),
        );
      case '/_lab/kills':
        return route(['POST'], () =>
          this.kill(response, jsonObjectBody(request, body)),
        );
      case '/_lab/deploys':
        return route(['POST'], () =>
          this.deploy(
            response,
            jsonObjectBody(request, body, '{"app": "order"}'),
          ),
        );
      case '/_lab/scales':
        return route(['POST'], () =>
          this.scale(
            response,
            jsonObjectBody(request, body, '{"app": "order", "replicas": 1}'),
          ),
        );
      case '/_lab/you':
        return route(['GET'], () => send(response, 200, this.you.view));
      case '/_lab/you/logout':
        return route(['POST'], async () => {
          const view = await this.you.logout().catch(() => this.you.view);
          send(response, 200, view);
        });
      case '/_lab/you/reset':
        return route(['POST'], async () => {
          const view = await this.you.reset().catch(() => this.you.view);
          send(response, 200, view);
        });
      default:
        return false;
    }
  }

  private async answer(
    response: ServerResponse,
    method: string,
    methods: string[],
    action: () => void | Promise<void>,
  ): Promise<boolean> {
    try {
      if (!methods.includes(method)) {
        response.setHeader('allow', methods.join(', '));
        throw new LabHttpError(405, `use ${methods.join(' or ')} here`);
      }
      await action();
    } catch (error) {
      if (!(error instanceof LabHttpError)) throw error;
      send(response, error.statusCode, error.body);
    }
    return true;
  }

  private asset(response: ServerResponse, name: string): void {
    const asset = ASSETS[name];
    if (!asset) throw new LabHttpError(404, `no file /_lab/ui/${name}`);
    response.writeHead(200, {
      'content-type': `${asset.type}; charset=utf-8`,
      'cache-control': 'no-cache',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
    });
    response.end(readFileSync(asset.file));
  }

  private loadView() {
    return {
      users: this.virtualUsers,
      running: this.load.users,
      max: MAX_VIRTUAL_USERS,
    };
  }

  private setLoad(response: ServerResponse, body: Record<string, unknown>) {
    const users = body.users;
    if (
      typeof users !== 'number' ||
      !Number.isInteger(users) ||
      users < 0 ||
      users > MAX_VIRTUAL_USERS
    ) {
      throw new LabHttpError(
        400,
        `users must be an integer from 0 to ${MAX_VIRTUAL_USERS}`,
      );
    }
    this.virtualUsers = users;
    if (this.clients.size > 0) this.load.setUsers(users);
    send(response, 200, this.loadView());
  }

  /** The app a deploy or a scale names: one of the story's Deployments (never Redis). */
  private deploymentOf(body: Record<string, unknown>): DeploymentName {
    const { app } = body;
    if (typeof app !== 'string' || !isDeploymentName(app))
      throw new LabHttpError(
        400,
        `app must be one of ${DEPLOYMENT_NAMES.join(', ')}`,
      );
    return app;
  }

  /** "Deploy a new version": `kubectl rollout restart deployment/<app>`, through the driver. */
  private async deploy(
    response: ServerResponse,
    body: Record<string, unknown>,
  ) {
    const app = this.deploymentOf(body);
    const { rolloutRestart } = this.options.driver;
    if (!rolloutRestart)
      throw new LabHttpError(400, 'this driver cannot roll a Deployment out');
    await rolloutRestart.call(this.options.driver, app);
    send(response, 202, { app, rollout: 'restarted' });
  }

  /** "Scale in" / "Scale out": `kubectl scale deployment/<app> --replicas=N`, through the driver. */
  private async scale(response: ServerResponse, body: Record<string, unknown>) {
    const app = this.deploymentOf(body);
    const { replicas } = body;
    if (
      typeof replicas !== 'number' ||
      !Number.isInteger(replicas) ||
      replicas < 1 ||
      replicas > MAX_REPLICAS
    )
      throw new LabHttpError(
        400,
        `replicas must be a whole number from 1 to ${MAX_REPLICAS}`,
      );
    const { scale } = this.options.driver;
    if (!scale) throw new LabHttpError(400, 'this driver cannot scale');
    await scale.call(this.options.driver, app, replicas);
    send(response, 200, { app, replicas });
  }

  private async kill(response: ServerResponse, body: Record<string, unknown>) {
    const { pod, oneOfEach, grace, process: processOnly } = body;
    if (
      typeof grace !== 'number' ||
      !Number.isInteger(grace) ||
      grace < 0 ||
      grace > MAX_GRACE_SECONDS
    ) {
      throw new LabHttpError(
        400,
        `grace must be a whole number of seconds from 0 (SIGKILL) to ${MAX_GRACE_SECONDS}`,
      );
    }
    if ((typeof pod === 'string') === (oneOfEach === true)) {
      throw new LabHttpError(
        400,
        'say which: {"pod": "<name>", "grace": n} or {"oneOfEach": true, "grace": n}',
      );
    }
    if (
      processOnly !== undefined &&
      (processOnly !== true || grace !== 0 || typeof pod !== 'string')
    )
      throw new LabHttpError(
        400,
        '"process": true kills the process of one pod (kill -9, restarted in place): {"pod": "<name>", "grace": 0, "process": true}',
      );
    const pods = await this.options.driver.listPods();
    const running = pods.filter((candidate) => candidate.status === 'Running');
    const victims =
      typeof pod === 'string'
        ? running.filter((candidate) => candidate.name === pod)
        : DEPLOYMENT_NAMES.flatMap(
            (app) =>
              running.find(
                (candidate) => candidate.app === app && candidate.ready,
              ) ?? [],
          );
    if (typeof pod === 'string' && victims.length === 0)
      throw new LabHttpError(404, `no running pod "${pod}"`);
    await Promise.all(
      victims.map((victim) =>
        processOnly
          ? this.options.driver.killProcess(victim.name)
          : this.options.driver.deletePod(victim.name, grace),
      ),
    );
    send(response, 202, {
      killed: victims.map((victim) => victim.name),
      grace,
      ...(processOnly ? { process: true } : {}),
    });
  }

  private subscribe(response: ServerResponse) {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    response.write('retry: 2000\n\n');
    this.event(
      response,
      'history',
      JSON.stringify({
        apps: DEPLOYMENT_NAMES,
        seconds: this.appTraffic.history(DEPLOYMENT_NAMES),
      }),
    );
    if (this.lastState) this.event(response, 'state', this.lastState);
    this.clients.add(response);
    response.once('close', () => {
      this.clients.delete(response);
      if (this.clients.size === 0) {
        this.load.setUsers(0);
        void this.redis.stop();
      }
    });
    if (this.clients.size === 1) {
      this.load.setUsers(this.virtualUsers);
      this.redis.start();
      this.schedule(0);
    }
  }

  private event(response: ServerResponse, name: string, data: string) {
    if (!response.destroyed)
      response.write(`event: ${name}\ndata: ${data}\n\n`);
  }

  /** One state per wall-clock second (just after it ends), while a page is open. */
  private schedule(delayMs = 1050 - (Date.now() % 1000)) {
    clearTimeout(this.timer);
    if (this.closed || this.clients.size === 0) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, delayMs);
  }

  private async tick(): Promise<void> {
    // The "you" panel looks at its carts in the background; the state carries its last look.
    void this.you.refresh().catch(() => undefined);
    let pods: PodSummary[] = [];
    let podsError: string | undefined;
    try {
      pods = await this.options.driver.listPods();
    } catch (error) {
      podsError = (error as Error).message;
    }
    const traffic = this.appTraffic.lastSecond(DEPLOYMENT_NAMES);
    const served = this.podTraffic.lastSecond().counts;
    this.lastState = JSON.stringify({
      at: traffic.at,
      target: this.options.driver.target,
      entryPoint: this.options.driver.baseUrl,
      apps: DEPLOYMENT_NAMES,
      pods: pods.map((pod) => ({
        name: pod.name,
        app: pod.app,
        ready: pod.ready,
        status: pod.status,
        restarts: pod.restarts,
        startedAt: pod.startedAt,
        requestsPerSecond:
          (served[pod.name]?.ok ?? 0) + (served[pod.name]?.failed ?? 0),
      })),
      podsError,
      traffic: traffic.counts,
      load: this.loadView(),
      redis: this.redis.view,
      you: this.you.view,
    });
    for (const client of this.clients)
      this.event(client, 'state', this.lastState);
  }
}

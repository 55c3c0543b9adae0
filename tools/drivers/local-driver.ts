import { setTimeout as sleep } from 'node:timers/promises';
import { LocalStack, type LocalStackOptions } from '../lab/local-stack';
import type { ClusterDriver, PodSummary } from './cluster-driver';
import {
  askRedisTopology,
  RedisAsker,
  type AddressedPod,
  type RedisTopology,
} from './redis-topology';

/** The local stack through its lab API: a stack it boots itself, or one already running. */
export class LocalDriver implements ClusterDriver {
  readonly target = 'local';
  private readonly redisAsker = new RedisAsker();

  private constructor(
    readonly baseUrl: string,
    private readonly stack?: LocalStack,
  ) {}

  /** Boots a fresh stack on free ports, owned (and stopped) by this driver. */
  static async boot(options: LocalStackOptions = {}): Promise<LocalDriver> {
    const stack = await LocalStack.start({ labPort: 0, ...options });
    return new LocalDriver(stack.url, stack);
  }

  /** Uses a stack someone else started (`npm start`), e.g. `--url http://127.0.0.1:8080`. */
  static attach(baseUrl: string): LocalDriver {
    return new LocalDriver(baseUrl.replace(/\/$/, ''));
  }

  get ownedStack(): LocalStack | undefined {
    return this.stack;
  }

  async listPods(app?: string): Promise<PodSummary[]> {
    return this.lab<PodSummary[]>(
      'GET',
      `pods${app ? `?app=${encodeURIComponent(app)}` : ''}`,
    );
  }

  async deletePod(name: string, gracePeriodSeconds: number): Promise<void> {
    await this.lab(
      'DELETE',
      `pods/${encodeURIComponent(name)}?grace=${gracePeriodSeconds}`,
    );
  }

  async killProcess(name: string): Promise<void> {
    const pod = (await this.listPods()).find(
      (candidate) => candidate.name === name,
    );
    if (!pod?.pid) throw new Error(`pod ${name} has no running process`);
    process.kill(pod.pid, 'SIGKILL');
  }

  async waitReady(
    app: string,
    replicas: number,
    timeoutMs = 30_000,
  ): Promise<number> {
    const started = performance.now();
    while (performance.now() - started < timeoutMs) {
      const pods = await this.listPods(app);
      if (
        pods.filter((pod) => pod.ready && pod.status === 'Running').length >=
        replicas
      ) {
        return performance.now() - started;
      }
      await sleep(50);
    }
    throw new Error(
      `${app}: fewer than ${replicas} ready pods after ${timeoutMs} ms`,
    );
  }

  /** Each running pod of `app` with its own address, around the gateway (loopback only). */
  async podUrls(app: string): Promise<Array<{ pod: PodSummary; url: string }>> {
    return (await this.listPods(app))
      .filter((pod) => pod.status === 'Running')
      .map((pod) => ({
        pod,
        url: `http://127.0.0.1:${(pod as PodSummary & { port?: number }).port}`,
      }));
  }

  async scrapeMetrics(): Promise<Array<{ pod: PodSummary; text: string }>> {
    const pods = (await this.listPods()).filter(
      (pod) => pod.app !== 'redis' && pod.status === 'Running',
    );
    const scraped = await Promise.all(
      pods.map(async (pod) => {
        const port = (pod as PodSummary & { port?: number }).port;
        const text = await fetch(`http://127.0.0.1:${port}/metrics`, {
          signal: AbortSignal.timeout(2000),
        })
          .then((response) => (response.ok ? response.text() : ''))
          .catch(() => '');
        return { pod, text };
      }),
    );
    return scraped.filter(({ text }) => text);
  }

  /**
   * Asks every redis and sentinel pod itself, on loopback (where the stack's pods listen): only
   * for a lab on this machine, so a port never names somebody else's Redis.
   */
  async redisTopology(): Promise<RedisTopology> {
    const host = new URL(this.baseUrl).hostname;
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(host))
      throw new Error(
        `the lab at ${host} is not on this machine: its Redis pods listen on its loopback`,
      );
    return askRedisTopology(
      (await this.listPods()) as AddressedPod[],
      this.redisAsker,
    );
  }

  async rolloutRestart(app: string): Promise<void> {
    await this.lab('POST', `apps/${encodeURIComponent(app)}/restart`, {});
  }

  async rollingOut(app: string): Promise<boolean> {
    const apps = await this.lab<Array<{ app: string; rollingOut: boolean }>>(
      'GET',
      'apps',
    );
    return apps.some((state) => state.app === app && state.rollingOut);
  }

  async scale(app: string, replicas: number): Promise<void> {
    await this.lab('PATCH', `apps/${encodeURIComponent(app)}`, { replicas });
  }

  async setLegacyCartAffinity(enabled: boolean): Promise<void> {
    await this.lab('PATCH', 'gateway', { legacyCartAffinity: enabled });
  }

  async close(): Promise<void> {
    this.redisAsker.close();
    await this.stack?.stop();
  }

  private async lab<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    const response = await fetch(`${this.baseUrl}/_lab/${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const payload = (await response.json()) as T & { message?: string };
    if (!response.ok)
      throw new Error(
        `lab API ${method} ${path}: ${payload.message ?? response.status}`,
      );
    return payload;
  }
}

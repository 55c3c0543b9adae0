import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redisServerArguments } from '../process/redis-server';
import { freePort } from './free-port';
import type { PodTemplate } from './pod';
import { redisPingProbe } from './probes';
import { redisCommand, redisInfo } from './redis-command';
import type { Supervisor } from './supervisor';

export const SENTINEL_MASTER_NAME = 'what-survives';
export const REDIS_NODES = 3;
export const SENTINELS = 3;
/** Sentinel's `down-after-milliseconds`: silence before a node counts as down. */
const DOWN_AFTER_MS = 1000;
/**
 * How long a dead *primary* stays down before its process is restarted. A primary back within
 * DOWN_AFTER_MS is never failed over (it serves what its AOF kept: the single-Redis row); a node
 * that is gone longer, as a lost machine is, is what Sentinel is for.
 */
const PRIMARY_DOWN_MS = 5000;

/**
 * Redis with replicas and Sentinel on the local stack (`LAB_REDIS=sentinel`): StatefulSets
 * `redis` (redis-0 starts as the primary, the others as its replicas) and `sentinel` (3, quorum
 * 2), each pod on a port of its own. Every node refuses writes unless a replica is connected
 * (`min-replicas-to-write 1`): an old primary cut off from its replicas stops taking writes
 * that a failover would drop. The stack keeps asking the Sentinels which node is the primary, so
 * a node restarted after a failover comes back as a replica of the new one.
 */
export class RedisSentinelStack {
  private primary = 0;
  private poller?: NodeJS.Timeout;

  private constructor(
    private readonly directory: string,
    readonly nodePorts: number[],
    readonly sentinelPorts: number[],
    private readonly persistence: boolean,
  ) {
    this.primary = nodePorts[0];
  }

  static async create(
    directory: string,
    persistence: boolean,
  ): Promise<RedisSentinelStack> {
    const nodePorts: number[] = [];
    for (let index = 0; index < REDIS_NODES; index++)
      nodePorts.push(await freePort());
    const sentinelPorts: number[] = [];
    for (let index = 0; index < SENTINELS; index++)
      sentinelPorts.push(await freePort());
    mkdirSync(directory, { recursive: true });
    return new RedisSentinelStack(
      directory,
      nodePorts,
      sentinelPorts,
      persistence,
    );
  }

  /** `REDIS_SENTINELS` for the apps. */
  get sentinels(): string {
    return this.sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',');
  }

  /** The port the Sentinels last named primary. */
  get primaryPort(): number {
    return this.primary;
  }

  /** `redis-<n>` of the current primary. */
  get primaryPod(): string {
    return `redis-${this.nodePorts.indexOf(this.primary)}`;
  }

  /** Boots both StatefulSets and waits until every Sentinel sees the primary and both replicas. */
  async start(supervisor: Supervisor): Promise<void> {
    await supervisor.apply({
      kind: 'StatefulSet',
      replicas: REDIS_NODES,
      template: this.nodeTemplate(),
    });
    await supervisor.waitAllReady(30_000, { failFast: true });
    await this.until(
      async () =>
        Number((await redisInfo(this.primary)).connected_slaves) >=
        REDIS_NODES - 1,
      'replicas in sync',
    );
    await supervisor.apply({
      kind: 'StatefulSet',
      replicas: SENTINELS,
      template: this.sentinelTemplate(),
    });
    await supervisor.waitAllReady(30_000, { failFast: true });
    await this.until(async () => {
      const views = await Promise.all(
        this.sentinelPorts.map(async (port) => {
          const flat = (await redisCommand(port, [
            'SENTINEL',
            'MASTER',
            SENTINEL_MASTER_NAME,
          ])) as string[];
          const view = new Map<string, string>();
          for (let index = 0; index + 1 < flat.length; index += 2)
            view.set(flat[index], flat[index + 1]);
          return view;
        }),
      );
      return views.every(
        (view) =>
          Number(view.get('num-slaves')) >= REDIS_NODES - 1 &&
          Number(view.get('num-other-sentinels')) >= SENTINELS - 1,
      );
    }, 'Sentinels agree on the topology');
    this.poller = setInterval(() => void this.poll(), 200);
  }

  /**
   * The primary the Sentinels name has every other node connected, online and caught up, and
   * every Sentinel names that same primary: ready for the next kill.
   */
  async healthy(): Promise<boolean> {
    const primary = await this.poll();
    const info = await redisInfo(primary).catch(() => undefined);
    if (info?.role !== 'master') return false;
    const replicas = Object.entries(info)
      .filter(([key]) => /^slave\d+$/.test(key))
      .map(([, value]) => value);
    const online = replicas.filter((value) =>
      value.includes('state=online'),
    ).length;
    if (online < REDIS_NODES - 1) return false;
    const named = await Promise.all(
      this.sentinelPorts.map((port) =>
        redisCommand(port, [
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          SENTINEL_MASTER_NAME,
        ]).catch(() => undefined),
      ),
    );
    return named.every(
      (answer) => Array.isArray(answer) && Number(answer[1]) === primary,
    );
  }

  stop(): void {
    clearInterval(this.poller);
  }

  /** Asks the Sentinels (the first that answers) which node is the primary now. */
  async poll(): Promise<number> {
    for (const port of this.sentinelPorts) {
      const answer = await redisCommand(port, [
        'SENTINEL',
        'GET-MASTER-ADDR-BY-NAME',
        SENTINEL_MASTER_NAME,
      ]).catch(() => undefined);
      if (Array.isArray(answer)) {
        this.primary = Number(answer[1]);
        return this.primary;
      }
    }
    return this.primary;
  }

  private nodeTemplate(): PodTemplate {
    return {
      app: 'redis',
      ordinalPorts: this.nodePorts,
      command: (name, port) => {
        const dataDirectory = join(this.directory, name);
        mkdirSync(dataDirectory, { recursive: true });
        return {
          file: 'redis-server',
          args: [
            ...redisServerArguments({
              port,
              dataDirectory,
              appendOnly: this.persistence,
            }),
            '--min-replicas-to-write',
            '1',
            '--min-replicas-max-lag',
            '10',
            // A replica (re)joining is synced at once, not after Redis's default 5 s wait for
            // others: until then a new primary has one replica fewer for min-replicas-to-write.
            '--repl-diskless-sync-delay',
            '0',
            // Whoever the Sentinels name primary now: a restarted node rejoins as its replica.
            ...(port === this.primary
              ? []
              : ['--replicaof', '127.0.0.1', String(this.primary)]),
          ],
          env: { PATH: process.env.PATH },
        };
      },
      probe: redisPingProbe,
      restartDelayMs: (name) =>
        this.nodePorts[Number(name.split('-').pop())] === this.primary
          ? PRIMARY_DOWN_MS
          : 0,
    };
  }

  private sentinelTemplate(): PodTemplate {
    return {
      app: 'sentinel',
      ordinalPorts: this.sentinelPorts,
      command: (name, port) => {
        // Sentinel rewrites its file (what it learnt, its votes): kept across restarts, as on a
        // volume.
        const file = join(this.directory, `${name}.conf`);
        if (!this.written.has(file)) {
          writeFileSync(
            file,
            [
              `port ${port}`,
              'bind 127.0.0.1',
              `dir ${this.directory}`,
              `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${this.nodePorts[0]} 2`,
              `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${DOWN_AFTER_MS}`,
              `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
              `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
              '',
            ].join('\n'),
          );
          this.written.add(file);
        }
        return {
          file: 'redis-server',
          args: [file, '--sentinel'],
          env: { PATH: process.env.PATH },
        };
      },
      probe: redisPingProbe,
    };
  }

  private readonly written = new Set<string>();

  private async until(
    condition: () => Promise<boolean>,
    what: string,
    timeoutMs = 20_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await condition().catch(() => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`Redis Sentinel: ${what} not reached in ${timeoutMs} ms`);
  }
}

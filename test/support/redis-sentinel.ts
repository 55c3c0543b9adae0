import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../tools/lab/free-port';
import { redisCommand } from '../../tools/lab/redis-command';
import { redisServerArguments } from '../../tools/process/redis-server';
import { waitForPort } from './redis-server';

/** Safety net, as in redis-server.ts: whatever a failed hook left running dies with the worker. */
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

export const TEST_SENTINEL_NAME = 'what-survives';

interface Member {
  port: number;
  child?: ChildProcess;
}

/**
 * A replicated Redis of the test's own: one primary, `replicas` replicas and `sentinels`
 * Sentinels (Debian's redis-server runs both roles; `--sentinel` makes it a Sentinel), on free
 * loopback ports with their own data dir. Sentinels judge a node down after 1 s of silence and
 * need 2 votes: a failover takes a few seconds, as on a cluster with short timeouts.
 */
export class TestRedisSentinelGroup {
  private readonly directory = mkdtempSync(
    join(tmpdir(), 'what-survives-sentinel-'),
  );
  private readonly nodes: Member[];
  private readonly sentinelMembers: Member[];

  private constructor(nodePorts: number[], sentinelPorts: number[]) {
    this.nodes = nodePorts.map((port) => ({ port }));
    this.sentinelMembers = sentinelPorts.map((port) => ({ port }));
  }

  static async start(
    options: { replicas?: number; sentinels?: number } = {},
  ): Promise<TestRedisSentinelGroup> {
    const nodePorts: number[] = [];
    for (let index = 0; index <= (options.replicas ?? 1); index++)
      nodePorts.push(await freePort());
    const sentinelPorts: number[] = [];
    for (let index = 0; index < (options.sentinels ?? 3); index++)
      sentinelPorts.push(await freePort());
    const group = new TestRedisSentinelGroup(nodePorts, sentinelPorts);
    try {
      for (const node of group.nodes) await group.launchNode(node);
      await group.waitReplicasOnline(10_000);
      for (const [index, sentinel] of group.sentinelMembers.entries())
        await group.launchSentinel(sentinel, index);
      await group.waitSentinelsAgree(10_000);
    } catch (error) {
      await group.stop();
      throw error;
    }
    return group;
  }

  /** `REDIS_SENTINELS` for an app: every Sentinel's address. */
  get sentinels(): string {
    return this.sentinelMembers
      .map(({ port }) => `127.0.0.1:${port}`)
      .join(',');
  }

  /** The port the Sentinels currently name primary. */
  async primaryPort(): Promise<number> {
    return (await this.askSentinels())[0];
  }

  /** SIGKILL the node on `port`: no shutdown, no last replication. */
  async killNode(port: number): Promise<void> {
    const node = this.nodes.find((member) => member.port === port);
    if (!node?.child) throw new Error(`no Redis node on port ${port}`);
    await signal(node.child, 'SIGKILL');
  }

  /** Waits until the Sentinels name a primary other than `oldPort`; resolves to its port. */
  async waitPromotion(oldPort: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const ports = await this.askSentinels().catch(() => []);
      if (ports.length && ports.every((port) => port !== oldPort))
        return ports[0];
      await sleep(100);
    }
    throw new Error(`no Sentinel promoted a replica within ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.sentinelMembers, ...this.nodes].map(({ child }) =>
        child ? signal(child, 'SIGKILL') : undefined,
      ),
    );
    rmSync(this.directory, { recursive: true, force: true });
  }

  private async launchNode(node: Member): Promise<void> {
    const primary = this.nodes[0];
    const dataDirectory = mkdtempSync(join(this.directory, `redis-`));
    node.child = track(
      spawn(
        'redis-server',
        [
          ...redisServerArguments({
            port: node.port,
            dataDirectory,
            appendOnly: false,
          }),
          ...(node === primary
            ? []
            : ['--replicaof', '127.0.0.1', String(primary.port)]),
        ],
        { stdio: 'ignore' },
      ),
    );
    await waitForPort(node.port, 5000);
  }

  private async launchSentinel(sentinel: Member, index: number): Promise<void> {
    // A Sentinel rewrites its config file (what it learnt, its votes): one file each, writable.
    const file = join(this.directory, `sentinel-${index}.conf`);
    writeFileSync(
      file,
      [
        `port ${sentinel.port}`,
        'bind 127.0.0.1',
        `dir ${this.directory}`,
        `sentinel monitor ${TEST_SENTINEL_NAME} 127.0.0.1 ${this.nodes[0].port} 2`,
        `sentinel down-after-milliseconds ${TEST_SENTINEL_NAME} 1000`,
        `sentinel failover-timeout ${TEST_SENTINEL_NAME} 5000`,
        `sentinel parallel-syncs ${TEST_SENTINEL_NAME} 1`,
        '',
      ].join('\n'),
    );
    sentinel.child = track(
      spawn('redis-server', [file, '--sentinel'], { stdio: 'ignore' }),
    );
    await waitForPort(sentinel.port, 5000);
  }

  private async waitReplicasOnline(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const expected = this.nodes.length - 1;
    while (Date.now() < deadline) {
      const info = await redisCommand(this.nodes[0].port, [
        'INFO',
        'replication',
      ]);
      const online = String(info).match(/state=online/g)?.length ?? 0;
      if (online >= expected) return;
      await sleep(100);
    }
    throw new Error(`replicas not in sync after ${timeoutMs} ms`);
  }

  /** Every Sentinel knows the primary, its replicas and the other Sentinels. */
  private async waitSentinelsAgree(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const views = await Promise.all(
        this.sentinelMembers.map(({ port }) =>
          redisCommand(port, ['SENTINEL', 'MASTER', TEST_SENTINEL_NAME])
            .then((reply) => pairs(reply as string[]))
            .catch(() => ({}) as Record<string, string>),
        ),
      );
      const agreed = views.every(
        (view) =>
          Number(view['num-slaves']) >= this.nodes.length - 1 &&
          Number(view['num-other-sentinels']) >=
            this.sentinelMembers.length - 1,
      );
      if (agreed) return;
      await sleep(100);
    }
    throw new Error(`Sentinels did not discover each other in ${timeoutMs} ms`);
  }

  private async askSentinels(): Promise<number[]> {
    const answers = await Promise.all(
      this.sentinelMembers.map(({ port }) =>
        redisCommand(port, [
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          TEST_SENTINEL_NAME,
        ]).catch(() => undefined),
      ),
    );
    return answers
      .filter((answer): answer is string[] => Array.isArray(answer))
      .map((answer) => Number(answer[1]));
  }
}

function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

async function signal(
  child: ChildProcess,
  name: NodeJS.Signals,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(name);
  await exited;
}

function pairs(flat: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (let index = 0; index + 1 < flat.length; index += 2)
    result[flat[index]] = flat[index + 1];
  return result;
}

export { redisCommand };

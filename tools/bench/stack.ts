import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../build/ensure-built';
import { LocalDriver } from '../drivers/local-driver';
import type { PodInfo } from '../lab/pod';
import type { OwnProcesses } from './processes';

/** What stack-host.ts reports over IPC once every pod is ready. */
export interface StackReady {
  type: 'ready';
  url: string;
  redisUrl: string;
  redisPid: number;
}

/** A user who never orders: `GET /orders` for them is one ZRANGE on an empty index. */
export const READER = { username: 'reader', password: 'reader' };

/** The bench's handle on the stack host (stack-host.ts): its URLs, its pods, scaling, stopping. */
export class BenchStack {
  private constructor(
    private readonly host: ChildProcess,
    /** The bench's processes: what a row starts next to the stack is stopped with them. */
    readonly processes: OwnProcesses,
    readonly url: string,
    readonly redisUrl: string,
    readonly redisPid: number,
  ) {}

  static async start(processes: OwnProcesses): Promise<BenchStack> {
    const host = processes.spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'stack-host.ts')],
      { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    const ready = await new Promise<StackReady>((resolve, reject) => {
      host.on('message', (message: StackReady | { message: string }) =>
        'url' in message
          ? resolve(message)
          : reject(new Error(message.message)),
      );
      host.once('exit', (code) =>
        reject(
          new Error(`the stack host exited (${code}) before it was ready`),
        ),
      );
    });
    return new BenchStack(
      host,
      processes,
      ready.url,
      ready.redisUrl,
      ready.redisPid,
    );
  }

  get hostPid(): number {
    return this.host.pid as number;
  }

  async pods(app?: string): Promise<PodInfo[]> {
    const response = await fetch(`${this.url}/_lab/pods`);
    const pods = (await response.json()) as PodInfo[];
    return pods.filter((pod) => !app || pod.app === app);
  }

  /** The URL of an app's first ready pod: straight to the pod, no gateway in between. */
  async podUrl(app: string): Promise<string> {
    const pod = (await this.pods(app)).find((candidate) => candidate.ready);
    if (!pod) throw new Error(`no ready ${app} pod`);
    return `http://127.0.0.1:${pod.port}`;
  }

  /** `kubectl scale`: through the lab API, then wait until every replica is ready. */
  async scale(app: string, replicas: number): Promise<void> {
    const response = await fetch(`${this.url}/_lab/apps/${app}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ replicas }),
    });
    if (!response.ok) throw new Error(`scale ${app}: ${response.status}`);
    await LocalDriver.attach(this.url).waitReady(app, replicas, 30_000);
  }

  /** Asks the host to stop its pods and Redis; SIGKILLs whatever is left after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.host.exitCode !== null || this.host.signalCode !== null) return;
    const pods = await this.pods().catch(() => [] as PodInfo[]);
    const exited = new Promise((resolve) => this.host.once('exit', resolve));
    if (this.host.connected) this.host.send('stop');
    const finished = await Promise.race([
      exited.then(() => true),
      new Promise((resolve) => setTimeout(resolve, timeoutMs, false)),
    ]);
    if (finished) return;
    await this.processes.stop(this.host, 0);
    for (const pid of [...pods.map((pod) => pod.pid), this.redisPid]) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

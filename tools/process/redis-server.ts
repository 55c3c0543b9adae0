import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../lab/free-port';

/**
 * The arguments of every redis-server this project starts (tests, the lab's pods, the image
 * test): a port and data dir of its own, no RDB snapshots, and with AOF every write on disk
 * before the reply, so a SIGKILLed Redis keeps exactly what it acknowledged.
 */
export function redisServerArguments({
  port,
  dataDirectory,
  appendOnly,
  bind = '127.0.0.1',
}: {
  port: number;
  dataDirectory: string;
  appendOnly: boolean;
  bind?: string;
}): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    bind,
    '--dir',
    dataDirectory,
    '--save',
    '',
    '--appendonly',
    appendOnly ? 'yes' : 'no',
    '--appendfsync',
    'always',
  ];
}

/** Safety net: whatever a failed hook or a crashed tool left running dies with this process. */
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/**
 * A redis-server of the caller's own, on a free port with its own data dir: a test or a tool
 * (tools/image) can kill it and never touch the machine's shared Redis on 6379.
 */
export class RedisServer {
  private process?: ChildProcess;
  private readonly dataDirectory = mkdtempSync(
    join(tmpdir(), 'what-survives-redis-'),
  );

  private constructor(
    readonly port: number,
    private readonly appendOnly: boolean,
    /** Set when containers must reach it: listens on every interface, behind this password. */
    readonly password?: string,
    /** More redis-server arguments, e.g. `--min-replicas-to-write 1`. */
    private readonly extraArguments: string[] = [],
  ) {}

  static async start(
    options: {
      appendOnly?: boolean;
      password?: string;
      /** Starts as a replica of this server (`--replicaof`). */
      replicaOf?: RedisServer;
      extraArguments?: string[];
    } = {},
  ): Promise<RedisServer> {
    const server = new RedisServer(
      await freePort(),
      options.appendOnly ?? false,
      options.password,
      [
        ...(options.replicaOf
          ? ['--replicaof', '127.0.0.1', String(options.replicaOf.port)]
          : []),
        ...(options.extraArguments ?? []),
      ],
    );
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  async launch(): Promise<void> {
    this.process = spawn(
      'redis-server',
      [
        // A container reaches the host through its bridge, not loopback: all interfaces then,
        // and never without a password.
        ...redisServerArguments({
          port: this.port,
          dataDirectory: this.dataDirectory,
          appendOnly: this.appendOnly,
          bind: this.password ? '0.0.0.0' : '127.0.0.1',
        }),
        ...(this.password ? ['--requirepass', this.password] : []),
        ...this.extraArguments,
      ],
      { stdio: 'ignore' },
    );
    const child = this.process;
    running.add(child);
    child.once('exit', () => running.delete(child));
    await waitForPort(this.port, 5000);
  }

  /** SIGKILL: whatever Redis held only in memory is gone (unless AOF is on). */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGSTOP / SIGCONT: a Redis that hangs (connections open, no replies), then resumes. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    this.resume();
    await this.signal('SIGTERM');
    rmSync(this.dataDirectory, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}

export async function waitForPort(
  port: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(25);
  }
  throw new Error(`nothing listening on port ${port} after ${timeoutMs} ms`);
}

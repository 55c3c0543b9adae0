import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { entryPointOf, type BuiltApp } from '../../tools/build/ensure-built';
import { freePort } from '../../tools/lab/free-port';

export type AppName = BuiltApp;

/**
 * Every process a test file started and has not seen exit. A hook that times out or a start
 * that fails leaves no reference in the test's variables; the worker kills these on its way
 * out so no test leaves a process behind.
 */
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/**
 * One service as a real OS process, started from the build exactly as a pod would start it:
 * real HTTP on its own port, real signals.
 */
export class ServiceProcess {
  readonly output: string[] = [];
  readonly exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>;
  readonly spawnedAt = performance.now();

  private constructor(
    readonly app: AppName,
    readonly port: number,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) =>
      this.output.push(chunk.toString()),
    );
    child.stderr?.on('data', (chunk: Buffer) =>
      this.output.push(chunk.toString()),
    );
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Spawns the app; resolves once `/healthz/ready` answers 200. */
  static async start(
    app: AppName,
    environment: Record<string, string>,
    options: { waitReady?: boolean } = {},
  ): Promise<ServiceProcess> {
    const port = Number(environment.PORT ?? (await freePort()));
    const child = spawn(process.execPath, [entryPointOf(app)], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        // Request lines are logged (info), so the secret scan in stopAll() reads real traffic.
        LOG_LEVEL: 'log',
        SHUTDOWN_DRAIN_MS: '0',
        POD_NAME: `${app}-${port}`,
        ...environment,
        PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    const service = new ServiceProcess(app, port, child);
    if (options.waitReady !== false) {
      await service.waitReady().catch(async (error: Error) => {
        await service.stop('SIGKILL');
        throw error;
      });
    }
    return service;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitReady(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.isRunning) {
        throw new Error(
          `${this.app} exited before ready:\n${this.output.join('')}`,
        );
      }
      const ready = await fetch(`${this.url}/healthz/ready`)
        .then((response) => response.status === 200)
        .catch(() => false);
      if (ready) return performance.now() - this.spawnedAt;
      await sleep(20);
    }
    throw new Error(
      `${this.app} not ready after ${timeoutMs} ms:\n${this.output.join('')}`,
    );
  }

  /** Sends a signal and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM') {
    if (this.isRunning) this.child.kill(signal);
    return this.exited;
  }
}

import {
  spawn,
  type ChildProcess,
  type SpawnOptions,
} from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpProbe } from '../lab/probes';

/**
 * Every process the bench starts itself, so that all of them (and only them) are stopped by pid
 * on the way out — after a normal run, an error or Ctrl-C.
 */
export class OwnProcesses {
  private readonly running = new Set<ChildProcess>();

  spawn(file: string, args: string[], options: SpawnOptions): ChildProcess {
    const child = spawn(file, args, options);
    this.running.add(child);
    child.once('exit', () => this.running.delete(child));
    return child;
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves once the process has exited. */
  async stop(child: ChildProcess, gracePeriodMs = 3000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const escalation = setTimeout(() => child.kill('SIGKILL'), gracePeriodMs);
    await exited;
    clearTimeout(escalation);
  }

  async stopAll(gracePeriodMs = 3000): Promise<void> {
    await Promise.all(
      [...this.running].map((child) => this.stop(child, gracePeriodMs)),
    );
  }

  /**
   * Last resort when exiting synchronously. Children with an IPC channel (the stack host, the
   * baselines) stop themselves when it closes — the stack host stopping its pods first, which a
   * SIGKILL here would prevent; the others are killed.
   */
  killAllNow(): void {
    for (const child of this.running)
      if (!child.connected) child.kill('SIGKILL');
  }
}

/** Resident set size of a process in bytes (VmRSS in /proc/<pid>/status), if it still runs. */
export function residentBytes(pid: number | null | undefined): number | null {
  if (!pid) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kilobytes = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kilobytes ? Number(kilobytes) * 1024 : null;
  } catch {
    return null;
  }
}

/** Polls `path` until it answers 2xx; resolves with the milliseconds since `since`. */
export async function waitForHttp(
  port: number,
  path: string,
  since: number,
  timeoutMs = 30_000,
  child?: ChildProcess,
): Promise<number> {
  while (performance.now() - since < timeoutMs) {
    if (child && (child.exitCode !== null || child.signalCode !== null))
      throw new Error(`process ${child.pid} exited before ${path} answered`);
    if ((await httpProbe(port, path)) === 'ready')
      return performance.now() - since;
    // 10 ms: fine enough for start-ups of hundreds of ms, cheap for the process starting up.
    await sleep(10);
  }
  throw new Error(`:${port}${path} not ready after ${timeoutMs} ms`);
}

/** CPU time a process has used so far in ms: utime + stime from /proc/<pid>/stat. */
export function cpuMilliseconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .split(') ')[1]
    .split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

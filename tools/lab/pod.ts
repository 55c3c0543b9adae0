import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, fstatSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { causeFromLog, logSince, spawnFailure } from './pod-failure';
import type { ProbeResult } from './probes';

/**
 * Every pod process this process started and has not yet seen exit. Pods run in process groups
 * of their own (so a terminal's Ctrl-C reaches the stack, which stops them in order); if this
 * process exits first (an uncaught error, process.exit on a signal, a closed stdout), they would
 * live on as orphans: kill their groups on the way out.
 */
const livePodProcesses = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of livePodProcesses) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

export type PodStatus = 'Running' | 'Restarting' | 'Terminating' | 'Terminated';

/** Why a container last ended, as `kubectl get pods` and `describe` name it. */
export type TerminationReason = 'OOMKilled' | 'Completed' | 'Error';

/** What `GET /_lab/pods` returns per pod: `name` is its x-pod-name, `pid` the server itself. */
export interface PodInfo {
  name: string;
  app: string;
  pid: number | null;
  port: number;
  ready: boolean;
  restarts: number;
  startedAt: string;
  status: PodStatus;
  /** The reason the last process ended, once one did without the pod being deleted. */
  lastTermination?: TerminationReason;
  /** The process's RSS at the last sample (pods with a memory limit), bytes. */
  memoryBytes?: number;
  memoryLimitBytes?: number;
}

export interface PodTemplate {
  app: string;
  /** A StatefulSet pod keeps its port (its stable network identity) across replacements. */
  fixedPort?: number;
  /** Per ordinal (`<app>-0`, `-1`, ...): a StatefulSet whose pods each keep a port of their own. */
  ordinalPorts?: number[];
  /** Extra wait before a dead process is restarted in place (the kubelet's is only its back-off). */
  restartDelayMs?(name: string): number;
  /** The server process to run: no wrapper, so signalling the pid signals the pod. */
  command(
    name: string,
    port: number,
  ): { file: string; args: string[]; env: NodeJS.ProcessEnv };
  /** Readiness probe. */
  probe(port: number): Promise<ProbeResult>;
  /** `resources.limits.memory`: over it, the process is OOM-killed (see OomWatcher). */
  memoryLimitBytes?: number;
}

/** A container that ran at least this long is healthy: its next crash restarts at once. */
const STABLE_RUN_MS = 10_000;
const MAX_BACKOFF_MS = 10_000;
/** Unanswered probes (200 ms apart) before a pod is taken out of rotation: 2 s of silence. */
const FAILURE_THRESHOLD = 10;

/**
 * One pod: a named, supervised OS process. A process that dies without being deleted is
 * restarted in place (same name and port, new pid, restarts + 1), as the kubelet restarts a
 * container, with CrashLoopBackOff-like delays when it keeps dying young.
 */
export class Pod {
  ready = false;
  restarts = 0;
  status: PodStatus = 'Running';
  startedAt = new Date();
  /**
   * Why the pod has not come up, in one line: its last process could not be spawned or exited
   * before it was ever ready (cleared once it is). A stack that is booting stops on it.
   */
  startFailure?: string;
  lastTermination?: TerminationReason;
  memoryBytes?: number;
  private child?: ChildProcess;
  /** The current process is being killed for its memory limit. */
  private oomKilling = false;
  /** Ready at least once since the current process started. */
  private readySinceStart = false;
  /** Where the current process's output starts in the log file (it is appended to). */
  private logOffset = 0;
  private readonly logFile: string;
  private exitWaiters: Array<() => void> = [];
  private restartTimer?: NodeJS.Timeout;
  private consecutiveQuickCrashes = 0;
  private unansweredProbes = 0;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly template: PodTemplate,
    logDirectory: string,
    private readonly onChange: (pod: Pod) => void = () => undefined,
  ) {
    this.logFile = join(logDirectory, `${name}.log`);
  }

  get app(): string {
    return this.template.app;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get isRunning(): boolean {
    return (
      !!this.child?.pid &&
      this.child.exitCode === null &&
      this.child.signalCode === null
    );
  }

  info(): PodInfo {
    return {
      name: this.name,
      app: this.app,
      pid: this.isRunning ? this.pid : null,
      port: this.port,
      ready: this.ready,
      restarts: this.restarts,
      startedAt: this.startedAt.toISOString(),
      status: this.status,
      ...(this.lastTermination
        ? { lastTermination: this.lastTermination }
        : {}),
      ...(this.memoryBytes !== undefined && this.isRunning
        ? { memoryBytes: this.memoryBytes }
        : {}),
      ...(this.template.memoryLimitBytes !== undefined
        ? { memoryLimitBytes: this.template.memoryLimitBytes }
        : {}),
    };
  }

  start(): void {
    const { file, args, env } = this.template.command(this.name, this.port);
    this.startedAt = new Date();
    this.status = 'Running';
    this.readySinceStart = false;
    this.oomKilling = false;
    this.memoryBytes = undefined;
    // Own process group: a Ctrl-C in the terminal reaches the stack, which stops its pods itself.
    // The pod writes its log file itself (as a container runtime captures stdout straight to a
    // file): no pipe through this process, which would spend CPU on every line of every pod.
    const log = openSync(this.logFile, 'a');
    this.logOffset = fstatSync(log).size;
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        env,
        stdio: ['ignore', log, log],
        detached: true,
      });
    } finally {
      closeSync(log); // the child holds its own copy
    }
    this.child = child;
    if (child.pid) livePodProcesses.add(child);
    child.once('exit', () => livePodProcesses.delete(child));
    child.once('exit', (code, signal) => this.exited(child, code, signal));
    // No process at all (no such file, not executable): no 'exit' follows, only this.
    child.once('error', (error) => {
      if (child.pid === undefined)
        this.exited(child, null, null, spawnFailure(file, error));
    });
    this.onChange(this);
  }

  /**
   * Readiness: ready after one passing probe; not ready at once when the pod says so (503 while
   * draining) or its process is gone or terminating; not ready after FAILURE_THRESHOLD
   * unanswered probes in a row (one slow answer on a busy machine is not an outage).
   */
  async probe(): Promise<void> {
    const result =
      this.status === 'Running' && this.isRunning
        ? await this.template.probe(this.port)
        : 'not-ready';
    this.unansweredProbes =
      result === 'no-answer' ? this.unansweredProbes + 1 : 0;
    // The status may have changed while the probe was in flight.
    const alive = this.status === 'Running' && this.isRunning;
    const next =
      alive &&
      (result === 'ready' ||
        (result === 'no-answer' &&
          this.ready &&
          this.unansweredProbes < FAILURE_THRESHOLD));
    if (next) {
      this.readySinceStart = true;
      this.startFailure = undefined;
    }
    if (next !== this.ready) {
      this.ready = next;
      this.onChange(this);
    }
  }

  /** Like `kubectl delete pod`: SIGTERM, SIGKILL after the grace period (0 = at once). */
  delete(gracePeriodMs: number): Promise<void> {
    clearTimeout(this.restartTimer);
    const exited = this.waitForExit();
    if (this.status === 'Terminated') return exited;
    this.status = 'Terminating';
    this.ready = false;
    this.onChange(this);
    if (!this.isRunning) {
      this.terminated();
      return exited;
    }
    if (gracePeriodMs <= 0) {
      this.child?.kill('SIGKILL');
    } else {
      this.child?.kill('SIGTERM');
      const escalation = setTimeout(
        () => this.child?.kill('SIGKILL'),
        gracePeriodMs,
      );
      void exited.then(() => clearTimeout(escalation));
    }
    return exited;
  }

  /** Over its memory limit: SIGKILL, as the cgroup OOM killer does; restarted in place. */
  oomKill(): void {
    if (!this.isRunning || this.status !== 'Running') return;
    this.oomKilling = true;
    this.child?.kill('SIGKILL');
  }

  private waitForExit(): Promise<void> {
    if (this.status === 'Terminated') return Promise.resolve();
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  /** The process is gone (`cannotStart`: it never ran, and why). */
  private exited(
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
    cannotStart?: string,
  ): void {
    if (child !== this.child) return;
    this.ready = false;
    const how =
      cannotStart ??
      `exited (${signal ?? `code ${code}`}${this.oomKilling ? `, OOMKilled: RSS ${this.memoryBytes} bytes over the limit of ${this.template.memoryLimitBytes}` : ''})`;
    if (!this.readySinceStart && this.status !== 'Terminating') {
      const said = cannotStart
        ? undefined
        : causeFromLog(logSince(this.logFile, this.logOffset));
      this.startFailure = `${how}${cannotStart ? '' : ' before it was ready'}${said ? `: ${said}` : ''}`;
    }
    appendFileSync(
      this.logFile,
      `\n[lab] ${this.name} ${cannotStart ? how : `pid ${child.pid} ${how}`}\n`,
    );
    if (this.status === 'Terminating') return this.terminated();
    this.lastTermination = this.oomKilling
      ? 'OOMKilled'
      : code === 0
        ? 'Completed'
        : 'Error';
    // Not deleted: the container died (crash, OOM, kill -9 from outside). Restart in place.
    const ranFor = Date.now() - this.startedAt.getTime();
    this.consecutiveQuickCrashes =
      ranFor >= STABLE_RUN_MS ? 0 : this.consecutiveQuickCrashes + 1;
    const delay =
      this.consecutiveQuickCrashes <= 1
        ? 0
        : Math.min(
            500 * 2 ** (this.consecutiveQuickCrashes - 2),
            MAX_BACKOFF_MS,
          );
    this.status = 'Restarting';
    this.restarts += 1;
    this.onChange(this);
    this.restartTimer = setTimeout(
      () => this.start(),
      Math.max(delay, this.template.restartDelayMs?.(this.name) ?? 0),
    );
  }

  private terminated(): void {
    this.status = 'Terminated';
    this.onChange(this);
    this.exitWaiters.splice(0).forEach((resolve) => resolve());
  }
}

import {
  chownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../lab/free-port';
import type { Podman } from './podman';
import type { RunPlan } from './run-plan';

/** GET on the published port: the status, or 0 when nothing answered. */
export async function probe(url: string, timeoutMs = 1000): Promise<number> {
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/**
 * One container run the way the manifests run the pod: their user and group, read-only root
 * filesystem (unless asked for a writable one, to see what the app would write), capabilities
 * dropped, no privilege escalation, tmpfs for each emptyDir, Secret and ConfigMap volumes as
 * read-only files owned by root and the pod's fsGroup, and the resolved environment.
 */
export class ContainerRun {
  /** Containers not yet removed: an interrupted run removes them on its way out. */
  static readonly active = new Set<string>();
  readonly name: string;
  private readonly volumesDirectory = mkdtempSync(
    join(tmpdir(), 'what-survives-volumes-'),
  );

  private constructor(
    private readonly podman: Podman,
    readonly plan: RunPlan,
    readonly image: string,
    readonly hostPort: number,
    readonly writableRoot: boolean,
  ) {
    this.name = `what-survives-smoke-${plan.workload}-${process.pid}${writableRoot ? '-rw' : ''}`;
  }

  static async start(
    podman: Podman,
    plan: RunPlan,
    image: string,
    options: { writableRoot?: boolean; environment?: Record<string, string> },
  ): Promise<ContainerRun> {
    const run = new ContainerRun(
      podman,
      plan,
      image,
      await freePort(),
      options.writableRoot ?? false,
    );
    await run.create({ ...plan.environment, ...options.environment });
    return run;
  }

  get url(): string {
    return `http://127.0.0.1:${this.hostPort}`;
  }

  private volumeArguments(): string[] {
    return this.plan.volumes.flatMap((volume) => {
      if (volume.emptyDirMiB !== undefined)
        return [
          '--tmpfs',
          `${volume.mountPath}:rw,size=${Math.ceil(volume.emptyDirMiB)}m,mode=1777`,
        ];
      const directory = join(this.volumesDirectory, volume.name);
      mkdirSync(directory, { mode: 0o755 });
      for (const file of volume.files ?? []) {
        const path = join(directory, file.name);
        writeFileSync(path, file.content, { mode: file.mode });
        chownSync(path, 0, volume.group ?? 0);
      }
      return ['--volume', `${directory}:${volume.mountPath}:ro`];
    });
  }

  private async create(environment: Record<string, string>) {
    const plan = this.plan;
    const args = [
      'run',
      '--detach',
      '--pull=never',
      '--name',
      this.name,
      '--user',
      `${plan.user}:${plan.group}`,
      // The kubelet adds no passwd entry for a uid the image does not know; podman would.
      '--passwd=false',
      ...(this.writableRoot || !plan.readOnlyRootFilesystem
        ? []
        : ['--read-only', '--read-only-tmpfs=false']),
      ...(plan.memoryLimitMiB
        ? ['--memory', `${Math.floor(plan.memoryLimitMiB)}m`]
        : []),
      ...(plan.cpuLimit ? ['--cpus', String(plan.cpuLimit)] : []),
      ...(plan.dropAllCapabilities ? ['--cap-drop=ALL'] : []),
      ...(plan.noNewPrivileges ? ['--security-opt=no-new-privileges'] : []),
      '--publish',
      `127.0.0.1:${this.hostPort}:${plan.containerPort}`,
      ...this.volumeArguments(),
      // `--env NAME` without a value: podman takes it from its own environment, so secrets
      // never appear on a command line.
      ...Object.keys(environment).flatMap((name) => ['--env', name]),
      this.image,
    ];
    ContainerRun.active.add(this.name);
    await this.podman.must(args, { env: environment });
  }

  /** Polls liveness and readiness until both answer 200; false when the budget runs out. */
  async waitReady(budgetMs: number): Promise<boolean> {
    const deadline = Date.now() + budgetMs;
    while (Date.now() < deadline) {
      if (
        (await probe(`${this.url}${this.plan.livenessPath}`)) === 200 &&
        (await probe(`${this.url}${this.plan.readinessPath}`)) === 200
      )
        return true;
      if (!(await this.running())) return false;
      await sleep(100);
    }
    return false;
  }

  async running(): Promise<boolean> {
    const state = await this.podman.run([
      'inspect',
      '--format',
      '{{.State.Running}}',
      this.name,
    ]);
    return state.stdout.trim() === 'true';
  }

  async exec(command: string[]): Promise<string> {
    return this.podman.must(['exec', this.name, ...command]);
  }

  async exitCode(): Promise<number> {
    return Number(
      (
        await this.podman.must([
          'inspect',
          '--format',
          '{{.State.ExitCode}}',
          this.name,
        ])
      ).trim(),
    );
  }

  async logs(lines = 15): Promise<string> {
    const result = await this.podman.run([
      'logs',
      '--tail',
      String(lines),
      this.name,
    ]);
    return `${result.stdout}${result.stderr}`.trim();
  }

  /**
   * `podman stop`: SIGTERM, then SIGKILL after the grace period, as the kubelet does. Readiness
   * is polled meanwhile, so the result says whether it went false before the process exited.
   */
  async stopGracefully(): Promise<{
    elapsedMs: number;
    exitCode: number;
    notReadyAfterMs?: number;
  }> {
    const started = Date.now();
    let stopped = false;
    let notReadyAfterMs: number | undefined;
    const watching = (async () => {
      while (!stopped) {
        const status = await probe(
          `${this.url}${this.plan.readinessPath}`,
          500,
        );
        if (status === 503 && notReadyAfterMs === undefined)
          notReadyAfterMs = Date.now() - started;
        await sleep(50);
      }
    })();
    await this.podman.run(
      [
        'stop',
        '--time',
        String(this.plan.terminationGracePeriodSeconds),
        this.name,
      ],
      { timeoutMs: (this.plan.terminationGracePeriodSeconds + 30) * 1000 },
    );
    const elapsedMs = Date.now() - started;
    stopped = true;
    await watching;
    return { elapsedMs, exitCode: await this.exitCode(), notReadyAfterMs };
  }

  /** Paths `podman diff` lists: what the process changed in the image's filesystem. */
  async diff(): Promise<string[]> {
    const output = await this.podman.must(['diff', this.name]);
    return output.split('\n').filter((line) => line.trim());
  }

  async remove(): Promise<void> {
    await this.podman.run(['rm', '--force', '--time', '0', this.name]);
    ContainerRun.active.delete(this.name);
    rmSync(this.volumesDirectory, { recursive: true, force: true });
  }
}

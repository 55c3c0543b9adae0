import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port';
import { OomWatcher } from './memory-limit';
import { podName, replicaSetHash } from './pod-names';
import { Pod, type PodInfo, type PodTemplate } from './pod';
import type { RollingUpdateStrategy } from './deployment-manifest';
import { resolveStrategy, rolloutStep } from './rollout-plan';

export interface WorkloadSpec {
  /** `Deployment`: replaced pods get new names and ports. `StatefulSet`: same name, same port. */
  kind: 'Deployment' | 'StatefulSet';
  replicas: number;
  template: PodTemplate;
  /** A Deployment's `strategy.rollingUpdate` (the manifest's); Kubernetes' 25 %/25 % if absent. */
  strategy?: RollingUpdateStrategy;
}

interface Workload {
  spec: WorkloadSpec;
  hash: string;
}

export class UnknownPodError extends Error {}

/** A pod that could not start: its message is one line naming the pod and the cause. */
export class PodStartError extends Error {}

/**
 * The kubelet and the ReplicaSet/StatefulSet controllers of the local stack, and no more:
 * keeps each workload at its replica count, restarts dead processes in place, replaces deleted
 * pods, and probes readiness so the gateway routes to ready pods only.
 */
export class Supervisor {
  private readonly pods: Pod[] = [];
  private readonly workloads = new Map<string, Workload>();
  private readonly probeTimer: NodeJS.Timeout;
  private readonly oomWatcher = new OomWatcher(() => this.pods);
  private probing = false;
  private readonly rollingOut = new Set<string>();

  constructor(
    private readonly logDirectory: string,
    private readonly onChange: (pod: Pod) => void = () => undefined,
    probeIntervalMs = 200,
  ) {
    this.probeTimer = setInterval(() => void this.probeAll(), probeIntervalMs);
  }

  get apps(): string[] {
    return [...this.workloads.keys()];
  }

  kindOf(app: string): WorkloadSpec['kind'] | undefined {
    return this.workloads.get(app)?.spec.kind;
  }

  replicasOf(app: string): number | undefined {
    return this.workloads.get(app)?.spec.replicas;
  }

  async apply(spec: WorkloadSpec): Promise<void> {
    this.workloads.set(spec.template.app, { spec, hash: replicaSetHash() });
    await this.reconcile(spec.template.app);
  }

  listPods(app?: string): PodInfo[] {
    return this.pods
      .filter((pod) => pod.status !== 'Terminated' && (!app || pod.app === app))
      .map((pod) => pod.info());
  }

  readyPods(app: string): Pod[] {
    return this.pods.filter((pod) => pod.app === app && pod.ready);
  }

  find(name: string): Pod | undefined {
    return this.pods.find(
      (pod) => pod.name === name && pod.status !== 'Terminated',
    );
  }

  /**
   * `kubectl delete pod`: the pod terminates with its grace period while its controller
   * creates the replacement (a Deployment at once, under a new name; a StatefulSet once the old
   * one is gone, under the same name).
   */
  async deletePod(name: string, gracePeriodMs: number): Promise<PodInfo> {
    const pod = this.find(name);
    if (!pod) throw new UnknownPodError(`pod "${name}" not found`);
    const terminated = pod.delete(gracePeriodMs);
    const workload = this.workloads.get(pod.app);
    if (workload?.spec.kind === 'StatefulSet') {
      void terminated.then(() => this.reconcile(pod.app));
    } else {
      await this.reconcile(pod.app);
    }
    return pod.info();
  }

  /** Waits until a pod is gone (what `kubectl delete` does by default). */
  async waitGone(name: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.find(name)) {
      if (Date.now() > deadline) return false;
      await sleep(50);
    }
    return true;
  }

  /** True while a `rolloutRestart` of `app` has old pods left to replace. */
  isRollingOut(app: string): boolean {
    return this.rollingOut.has(app);
  }

  /**
   * `kubectl rollout restart deployment/<app>`: a new ReplicaSet (new pod names), then the
   * Deployment controller's rolling update with the workload's maxSurge/maxUnavailable: new pods
   * start, and old ones are deleted gracefully (SIGTERM: readiness 503, drain, exit) only while
   * enough pods stay ready. Resolves once every pod is of the new ReplicaSet and ready.
   */
  async rolloutRestart(
    app: string,
    { gracePeriodMs = 10_000, pollMs = 50 } = {},
  ): Promise<void> {
    const workload = this.workloads.get(app);
    if (!workload) throw new UnknownPodError(`no workload "${app}"`);
    if (workload.spec.kind !== 'Deployment')
      throw new Error(`${app} is a ${workload.spec.kind}, not a Deployment`);
    workload.hash = replicaSetHash();
    const isCurrent = (pod: Pod) =>
      pod.name.startsWith(`${app}-${workload.hash}-`);
    this.rollingOut.add(app);
    try {
      // Stops when done, or when the workload is gone (the stack shuts down).
      while (this.workloads.get(app) === workload) {
        const active = this.pods.filter(
          (pod) =>
            pod.app === app &&
            pod.status !== 'Terminating' &&
            pod.status !== 'Terminated',
        );
        const current = active.filter(isCurrent);
        const old = active.filter((pod) => !isCurrent(pod));
        const ready = (pods: Pod[]) =>
          pods.filter((pod) => pod.ready && pod.status === 'Running').length;
        const { replicas } = workload.spec;
        if (!old.length && ready(current) >= replicas) return;
        const { start, stop } = rolloutStep(
          replicas,
          resolveStrategy(
            workload.spec.strategy ?? {
              maxSurge: '25%',
              maxUnavailable: '25%',
            },
            replicas,
          ),
          { pods: current.length, ready: ready(current) },
          { pods: old.length, ready: ready(old) },
        );
        for (let index = 0; index < start; index++)
          await this.startPod(workload);
        // Not-ready old pods go first (they serve nobody), then the oldest.
        old
          .sort(
            (a, b) =>
              Number(a.ready) - Number(b.ready) ||
              a.startedAt.getTime() - b.startedAt.getTime(),
          )
          .slice(0, stop)
          .forEach((pod) => void pod.delete(gracePeriodMs));
        await sleep(pollMs);
      }
    } finally {
      this.rollingOut.delete(app);
    }
  }

  async scale(app: string, replicas: number): Promise<void> {
    const workload = this.workloads.get(app);
    if (!workload) throw new UnknownPodError(`no workload "${app}"`);
    workload.spec = { ...workload.spec, replicas };
    await this.reconcile(app);
  }

  /**
   * Resolves once every workload has its replica count of ready pods. `failFast` (a stack that
   * is booting): rejects with a PodStartError as soon as a pod cannot start, instead of waiting
   * out its restarts until the timeout.
   */
  async waitAllReady(
    timeoutMs: number,
    { failFast = false }: { failFast?: boolean } = {},
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const failed = failFast
        ? this.pods.find(
            (pod) => pod.startFailure && pod.status !== 'Terminated',
          )
        : undefined;
      if (failed)
        throw new PodStartError(`pod ${failed.name} ${failed.startFailure}`);
      const allReady = [...this.workloads.entries()].every(
        ([app, { spec }]) => this.readyPods(app).length >= spec.replicas,
      );
      if (allReady) return;
      await sleep(50);
    }
    const missing = this.listPods()
      .filter((pod) => !pod.ready)
      .map((pod) => pod.name);
    throw new Error(
      `pods not ready after ${timeoutMs} ms: ${missing.join(', ')}`,
    );
  }

  /** Deletes every pod (SIGTERM, then SIGKILL after the grace period) and waits for all exits. */
  async shutdown(gracePeriodMs: number): Promise<void> {
    clearInterval(this.probeTimer);
    this.oomWatcher.stop();
    this.workloads.clear();
    await Promise.all(
      this.pods
        .filter((pod) => pod.status !== 'Terminated')
        .map((pod) => pod.delete(gracePeriodMs)),
    );
  }

  private async reconcile(app: string): Promise<void> {
    const workload = this.workloads.get(app);
    if (!workload) return;
    const live = this.pods.filter(
      (pod) => pod.app === app && pod.status !== 'Terminated',
    );
    const active = live.filter((pod) => pod.status !== 'Terminating');
    const { kind, replicas } = workload.spec;
    for (let index = active.length; index < replicas; index++) {
      const name =
        kind === 'StatefulSet'
          ? `${app}-${this.nextOrdinal(live)}`
          : podName(app, workload.hash);
      if (kind === 'StatefulSet' && live.some((pod) => pod.name === name))
        continue;
      live.push(await this.startPod(workload, name));
    }
    // Scale down: not-ready pods first, then the youngest (as the ReplicaSet controller ranks them).
    const surplus = active
      .sort(
        (a, b) =>
          Number(a.ready) - Number(b.ready) ||
          b.startedAt.getTime() - a.startedAt.getTime(),
      )
      .slice(0, Math.max(0, active.length - replicas));
    surplus.forEach((pod) => void pod.delete(10_000));
  }

  private async startPod(
    workload: Workload,
    name = podName(workload.spec.template.app, workload.hash),
  ): Promise<Pod> {
    const { kind, template } = workload.spec;
    // A StatefulSet pod may keep a port of its own (the Sentinel stack's Redis nodes: a replica
    // that comes back must be found where the others knew it).
    const ordinalPort =
      kind === 'StatefulSet'
        ? template.ordinalPorts?.[Number(name.split('-').pop())]
        : undefined;
    const port =
      ordinalPort ??
      (kind === 'StatefulSet' && template.fixedPort
        ? template.fixedPort
        : await freePort());
    const pod = new Pod(name, port, template, this.logDirectory, this.onChange);
    this.pods.push(pod);
    pod.start();
    return pod;
  }

  private nextOrdinal(live: Pod[]): number {
    const taken = new Set(live.map((pod) => Number(pod.name.split('-').pop())));
    let ordinal = 0;
    while (taken.has(ordinal)) ordinal++;
    return ordinal;
  }

  private async probeAll(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      await Promise.all(
        this.pods
          .filter((pod) => pod.status === 'Running')
          .map((pod) => pod.probe()),
      );
    } finally {
      this.probing = false;
    }
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterDriver, PodSummary } from './cluster-driver';
import {
  restartPatch,
  rolloutComplete,
  type KubernetesDeployment,
} from './k8s-deployments';
import {
  gracePeriodSeconds,
  labelSelectorFor,
  summarizePod,
  type KubernetesPod,
} from './k8s-pods';

export interface KubernetesDriverOptions {
  /** The entry point (Ingress/Gateway URL): traffic goes through it, never a port-forward. */
  baseUrl: string;
  context?: string;
  namespace?: string;
  /** A kubeconfig file instead of the default ($KUBECONFIG or ~/.kube/config). */
  kubeconfig?: string;
  /**
   * Access to the node of the cluster at `apiServer`, where this machine has it (tools/cluster's
   * node): a way to kill a container's process, a real crash the kubelet restarts in place.
   * Without it, killProcess deletes the pod.
   */
  nodeAccess?: (apiServer: string) => Promise<ProcessKiller | undefined>;
}

export type ProcessKiller = (namespace: string, pod: string) => Promise<void>;

export class ClusterUnreachableError extends Error {}

/**
 * The cluster driver for Kubernetes: the current (or given) kube-context and namespace, pods
 * deleted as `kubectl delete pod` deletes them.
 */
export class KubernetesDriver implements ClusterDriver {
  readonly target = 'k8s';

  private constructor(
    readonly baseUrl: string,
    readonly namespace: string,
    private readonly server: string,
    private readonly core: import('@kubernetes/client-node').CoreV1Api,
    private readonly deployments: import('@kubernetes/client-node').AppsV1Api,
    private readonly autoscalers: import('@kubernetes/client-node').AutoscalingV2Api,
    /** A merge patch's Content-Type (the client's default for patches is a JSON Patch). */
    private readonly mergePatch: import('@kubernetes/client-node').ConfigurationOptions,
    private readonly processKiller?: ProcessKiller,
  ) {}

  /** True when killProcess is a real process kill (restart in place), not a forced delete. */
  get killsProcesses(): boolean {
    return !!this.processKiller;
  }

  static async connect(
    options: KubernetesDriverOptions,
  ): Promise<KubernetesDriver> {
    const k8s = await import('@kubernetes/client-node');
    const config = new k8s.KubeConfig();
    try {
      if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
      else config.loadFromDefault();
      if (options.context) config.setCurrentContext(options.context);
    } catch (error) {
      throw new ClusterUnreachableError(
        `cannot load the kubeconfig: ${(error as Error).message}`,
      );
    }
    const cluster = config.getCurrentCluster();
    // Without a kubeconfig the client falls back to a made-up localhost cluster: say so instead.
    if (!cluster || config.getCurrentContext() === 'loaded-context') {
      throw new ClusterUnreachableError(
        `no kube-context to use${options.context ? ` named "${options.context}"` : ' (kubectl config current-context is empty)'}; create a cluster (kind, minikube) or pass --context`,
      );
    }
    const namespace =
      options.namespace ??
      config.getContextObject(config.getCurrentContext())?.namespace ??
      'what-survives';
    const driver = new KubernetesDriver(
      options.baseUrl.replace(/\/$/, ''),
      namespace,
      cluster.server,
      config.makeApiClient(k8s.CoreV1Api),
      config.makeApiClient(k8s.AppsV1Api),
      config.makeApiClient(k8s.AutoscalingV2Api),
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      await options.nodeAccess?.(cluster.server),
    );
    await driver.listPods(); // fail now, with one clear line, if the API server is not there
    return driver;
  }

  async listPods(app?: string): Promise<PodSummary[]> {
    const list = await this.call(() =>
      this.core.listNamespacedPod({
        namespace: this.namespace,
        labelSelector: labelSelectorFor(app),
      }),
    );
    return (list.items as KubernetesPod[]).map(summarizePod);
  }

  async deletePod(name: string, grace: number): Promise<void> {
    await this.call(() =>
      this.core.deleteNamespacedPod({
        name,
        namespace: this.namespace,
        gracePeriodSeconds: gracePeriodSeconds(grace),
      }),
    );
  }

  /**
   * With access to the node, SIGKILL of the container's process: the kubelet restarts it in place.
   * Without it (kind, minikube, a cloud), a process kill from outside is not possible without a
   * debug container (PID 1 ignores signals it has no handler for): the closest, honest
   * equivalent is a forced delete.
   */
  async killProcess(name: string): Promise<void> {
    if (this.processKiller) return this.processKiller(this.namespace, name);
    await this.deletePod(name, 0);
  }

  /**
   * `kubectl rollout restart deployment/<app>`: the restartedAt annotation on the pod template.
   * The Deployment controller rolls out with the manifest's own maxSurge/maxUnavailable.
   */
  async rolloutRestart(app: string): Promise<void> {
    await this.call(() =>
      this.deployments.patchNamespacedDeployment(
        {
          name: app,
          namespace: this.namespace,
          body: restartPatch(new Date()),
        },
        this.mergePatch,
      ),
    );
  }

  /** Not yet what `kubectl rollout status` waits for. */
  async rollingOut(app: string): Promise<boolean> {
    const deployment = await this.call(() =>
      this.deployments.readNamespacedDeployment({
        name: app,
        namespace: this.namespace,
      }),
    );
    return !rolloutComplete(deployment as KubernetesDeployment);
  }

  /** `kubectl scale deployment/<app> --replicas=N`: the scale subresource (what an HPA writes). */
  /**
   * Where a HorizontalPodAutoscaler owns the count (order), a scale alone is undone by its next
   * sync (minReplicas 3): its floor moves with the count, as an HPA scaling in at night would.
   */
  async scale(app: string, replicas: number): Promise<void> {
    await this.call(() =>
      this.autoscalers
        .patchNamespacedHorizontalPodAutoscaler(
          {
            name: app,
            namespace: this.namespace,
            body: { spec: { minReplicas: replicas } },
          },
          this.mergePatch,
        )
        .catch((error: { code?: number }) => {
          // No autoscaler for this app: the Deployment's count is the whole story.
          if (error.code !== 404) throw error;
        }),
    );
    await this.call(() =>
      this.deployments.patchNamespacedDeploymentScale(
        { name: app, namespace: this.namespace, body: { spec: { replicas } } },
        this.mergePatch,
      ),
    );
  }

  async waitReady(
    app: string,
    replicas: number,
    timeoutMs = 120_000,
  ): Promise<number> {
    const started = performance.now();
    while (performance.now() - started < timeoutMs) {
      const ready = (await this.listPods(app)).filter(
        (pod) => pod.ready,
      ).length;
      if (ready >= replicas) return performance.now() - started;
      await sleep(500);
    }
    throw new Error(
      `${app}: fewer than ${replicas} ready pods after ${timeoutMs} ms`,
    );
  }

  async close(): Promise<void> {}

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      const cause =
        (error as { cause?: { code?: string } }).cause?.code ??
        (error as { code?: string }).code;
      const body = (error as { body?: unknown }).body;
      if (
        cause ||
        /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|fetch failed/.test(
          String(error),
        )
      ) {
        throw new ClusterUnreachableError(
          `cannot reach the Kubernetes API at ${this.server}: ${cause ?? (error as Error).message}`,
          { cause: error },
        );
      }
      const message =
        typeof body === 'string'
          ? body
          : JSON.stringify(body ?? (error as Error).message);
      throw new Error(
        `Kubernetes API error in namespace ${this.namespace}: ${message}`,
        {
          cause: error,
        },
      );
    }
  }
}

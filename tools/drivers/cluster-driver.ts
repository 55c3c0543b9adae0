import type { RedisTopology } from './redis-topology';

/** What a driver reports of a pod (the lab API's fields; a cluster driver fills what it can). */
export interface PodSummary {
  name: string;
  app: string;
  ready: boolean;
  restarts: number;
  startedAt: string;
  status: string;
  pid?: number | null;
  /** Why the container last ended, as kubectl's STATUS shows it (`OOMKilled`, `Completed`, `Error`). */
  lastTermination?: string;
  /** Resident memory of the process now (local stack: VmRSS, sampled), bytes. */
  memoryBytes?: number;
  /** `resources.limits.memory` of its container, bytes. */
  memoryLimitBytes?: number;
}

/**
 * The small interface the e2e suite and the experiment use to talk to "the cluster": the local
 * stack (`LocalDriver`) or Kubernetes. Traffic always goes through `baseUrl`, the entry point.
 */
export interface ClusterDriver {
  readonly target: 'local' | 'k8s';
  readonly baseUrl: string;
  listPods(app?: string): Promise<PodSummary[]>;
  /** `kubectl delete pod NAME --grace-period=N` (0: SIGKILL at once); a controller replaces it. */
  deletePod(name: string, gracePeriodSeconds: number): Promise<void>;
  /** The container's process dies (crash, OOM, kill -9): restarted in place, restarts + 1. */
  killProcess(name: string): Promise<void>;
  /**
   * Each running pod's Prometheus text (`GET /metrics` on the pod itself, never through the entry
   * point). Optional: a cluster driver would need Prometheus or a port-forward per pod.
   */
  scrapeMetrics?(): Promise<Array<{ pod: PodSummary; text: string }>>;
  /**
   * `kubectl rollout restart deployment/<app>`: a new version rolls out with the Deployment's
   * maxSurge/maxUnavailable. Returns at once, like kubectl; `rollingOut` says when it is done.
   */
  rolloutRestart?(app: string): Promise<void>;
  /** True while a rollout of `app` still has old pods. */
  rollingOut?(app: string): Promise<boolean>;
  /** `kubectl scale deployment/<app> --replicas=N` (the scale subresource on a cluster). */
  scale?(app: string, replicas: number): Promise<void>;
  /**
   * Each Redis node's role as the node itself answers `ROLE`, and whom each Sentinel names
   * primary. Optional: a driver that cannot reach the nodes (a cluster without `kubectl exec`
   * wired in) leaves it out, and the dashboard says the roles are unknown.
   */
  redisTopology?(): Promise<RedisTopology>;
  /** Resolves once `app` has `replicas` ready pods; returns how long that took. */
  waitReady(app: string, replicas: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

/** What a driver reports of a pod (the lab API's fields; a cluster driver fills what it can). */
export interface PodSummary {
  name: string;
  app: string;
  ready: boolean;
  restarts: number;
  startedAt: string;
  status: string;
  pid?: number | null;
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
  /** Resolves once `app` has `replicas` ready pods; returns how long that took. */
  waitReady(app: string, replicas: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

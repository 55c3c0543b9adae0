/** The fields of a Deployment this project reads (a subset of V1Deployment). */
export interface KubernetesDeployment {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  };
}

/** The annotation `kubectl rollout restart` sets on the pod template: a new template, a rollout. */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** The merge patch of `kubectl rollout restart` at `now`. */
export function restartPatch(now: Date) {
  return {
    spec: {
      template: {
        metadata: { annotations: { [RESTARTED_AT]: now.toISOString() } },
      },
    },
  };
}

/**
 * `kubectl rollout status`'s test: the controller saw the latest spec, every replica is of the
 * new template and available, and no old pod is left.
 */
export function rolloutComplete(deployment: KubernetesDeployment): boolean {
  const wanted = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  return (
    (status.observedGeneration ?? 0) >=
      (deployment.metadata?.generation ?? 0) &&
    (status.updatedReplicas ?? 0) >= wanted &&
    (status.replicas ?? 0) <= (status.updatedReplicas ?? 0) &&
    (status.availableReplicas ?? 0) >= (status.updatedReplicas ?? 0)
  );
}

import { memoryQuantityBytes } from '../lab/deployment-manifest';
import type { PodSummary } from './cluster-driver';

/** The fields of a Kubernetes Pod this project reads (a subset of V1Pod). */
export interface KubernetesPod {
  metadata?: {
    name?: string;
    labels?: Record<string, string>;
    deletionTimestamp?: Date | string;
  };
  status?: {
    phase?: string;
    startTime?: Date | string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{
      restartCount: number;
      lastState?: { terminated?: { reason?: string } };
    }>;
  };
  spec?: {
    containers?: Array<{ resources?: { limits?: { memory?: string } } }>;
  };
}

/** The label every workload of this project carries (`kubectl delete pod -l app=order`). */
export function labelSelectorFor(app?: string): string {
  if (app !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(app)) {
    throw new Error(`invalid app name "${app}"`);
  }
  return app ? `app=${app}` : 'app';
}

/** What `kubectl get pods` shows, in the driver's terms: Terminating wins over the phase. */
export function summarizePod(pod: KubernetesPod): PodSummary {
  const ready =
    pod.status?.conditions?.some(
      (condition) => condition.type === 'Ready' && condition.status === 'True',
    ) ?? false;
  const terminating = !!pod.metadata?.deletionTimestamp;
  const startTime = pod.status?.startTime;
  // The kernel's OOM kill shows as the container's last state: `OOMKilled`.
  const lastTermination = pod.status?.containerStatuses?.find(
    (status) => status.lastState?.terminated?.reason,
  )?.lastState?.terminated?.reason;
  const memoryLimit = pod.spec?.containers?.[0]?.resources?.limits?.memory;
  return {
    name: pod.metadata?.name ?? '',
    app: pod.metadata?.labels?.app ?? '',
    ready: ready && !terminating,
    restarts: (pod.status?.containerStatuses ?? []).reduce(
      (sum, status) => sum + status.restartCount,
      0,
    ),
    startedAt: startTime ? new Date(startTime).toISOString() : '',
    status: terminating ? 'Terminating' : (pod.status?.phase ?? 'Unknown'),
    ...(lastTermination ? { lastTermination } : {}),
    ...(memoryLimit ? limitOf(String(memoryLimit)) : {}),
  };
}

/** A quantity this project cannot read (`129e6`) is left out rather than fail the listing. */
function limitOf(quantity: string): Pick<PodSummary, 'memoryLimitBytes'> {
  try {
    return { memoryLimitBytes: memoryQuantityBytes(quantity) };
  } catch {
    return {};
  }
}

/** A grace period as `kubectl delete pod --grace-period=N` takes it (0 = immediately, forced). */
export function gracePeriodSeconds(value: number): number {
  if (!Number.isInteger(value) || value < 0)
    throw new Error('grace period must be a whole number of seconds ≥ 0');
  return value;
}

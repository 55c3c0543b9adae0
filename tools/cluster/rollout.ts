import { setTimeout as sleep } from 'node:timers/promises';
import type { Kubectl } from './kubectl';

/**
 * Waiting for a namespace to roll out, and saying exactly what is wrong when it does not: the
 * object, and the cluster's own words (a probe's status code, an image that cannot be pulled, a
 * Service whose selector matches no pod). A Service that selects nothing blocks no rollout, so
 * it is checked on its own once the workloads are ready.
 */

interface Probe {
  httpGet?: { path?: string; port?: number | string };
  tcpSocket?: { port?: number | string };
}
interface Container {
  name: string;
  readinessProbe?: Probe;
}
interface Pod {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
    ownerReferences?: Array<{ kind: string; name: string }>;
  };
  spec: { containers: Container[] };
  status: {
    phase?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{
      name: string;
      ready: boolean;
      restartCount: number;
      state?: {
        waiting?: { reason?: string; message?: string };
        running?: { startedAt?: string };
        terminated?: { reason?: string; exitCode?: number };
      };
      lastState?: { terminated?: { reason?: string; exitCode?: number } };
    }>;
  };
}
interface Workload {
  kind: 'Deployment' | 'StatefulSet';
  metadata: { name: string; generation?: number };
  spec: {
    replicas?: number;
    selector: { matchLabels?: Record<string, string> };
  };
  status: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}
interface Service {
  metadata: { name: string };
  spec: { selector?: Record<string, string>; type?: string };
}
interface EndpointSlice {
  metadata: { labels?: Record<string, string> };
  endpoints?: Array<{ conditions?: { ready?: boolean } }>;
}
interface Event {
  type: string;
  reason: string;
  message: string;
  count?: number;
  involvedObject: { kind: string; name: string };
  lastTimestamp?: string;
  eventTime?: string;
}
interface List<T> {
  items: T[];
}

export interface NamespaceSnapshot {
  workloads: Workload[];
  pods: Pod[];
  services: Service[];
  endpointSlices: EndpointSlice[];
  events: Event[];
}

export async function snapshotNamespace(
  kubectl: Kubectl,
  namespace: string,
): Promise<NamespaceSnapshot> {
  const get = <T>(kinds: string) =>
    kubectl.json<List<T>>(['-n', namespace, 'get', kinds]);
  const [workloads, pods, services, endpointSlices, events] = await Promise.all(
    [
      get<Workload>('deployments,statefulsets'),
      get<Pod>('pods'),
      get<Service>('services'),
      get<EndpointSlice>('endpointslices'),
      get<Event>('events'),
    ],
  );
  return {
    workloads: workloads.items,
    pods: pods.items,
    services: services.items,
    endpointSlices: endpointSlices.items,
    events: events.items,
  };
}

const matches = (
  labels: Record<string, string> | undefined,
  selector: Record<string, string>,
) => Object.entries(selector).every(([key, value]) => labels?.[key] === value);

const selectorText = (selector: Record<string, string>) =>
  Object.entries(selector)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');

export function isRolledOut(workload: Workload): boolean {
  const wanted = workload.spec.replicas ?? 1;
  const status = workload.status;
  if ((status.observedGeneration ?? 0) < (workload.metadata.generation ?? 0))
    return false;
  if (
    (status.readyReplicas ?? 0) < wanted ||
    (status.updatedReplicas ?? 0) < wanted
  )
    return false;
  if (workload.kind === 'Deployment')
    return (
      (status.availableReplicas ?? 0) >= wanted &&
      (status.replicas ?? 0) === wanted
    );
  return status.currentRevision === status.updateRevision;
}

function probeText(probe: Probe | undefined): string {
  if (probe?.httpGet)
    return `GET ${probe.httpGet.path ?? '/'} on port ${probe.httpGet.port}`;
  if (probe?.tcpSocket) return `TCP port ${probe.tcpSocket.port}`;
  return 'no readiness probe';
}

/** Why one pod is not ready, in the cluster's words. */
function podProblem(pod: Pod, events: Event[]): string | undefined {
  if (pod.metadata.deletionTimestamp) return undefined;
  const ready = pod.status.conditions?.some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );
  if (ready) return undefined;
  const reasons: string[] = [];
  for (const status of pod.status.containerStatuses ?? []) {
    const waiting = status.state?.waiting;
    if (waiting?.reason && waiting.reason !== 'ContainerCreating')
      reasons.push(
        `${status.name} ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
      );
    const last = status.lastState?.terminated ?? status.state?.terminated;
    if (last)
      reasons.push(
        `${status.name} last exited ${last.exitCode} (${last.reason})`,
      );
  }
  const warnings = events.filter(
    (event) =>
      event.type === 'Warning' &&
      event.involvedObject.kind === 'Pod' &&
      event.involvedObject.name === pod.metadata.name,
  );
  // The latest warning says what is wrong now (a startup probe refused while the app was still
  // starting is history once it is running).
  const when = (event: Event) =>
    Date.parse(event.lastTimestamp ?? event.eventTime ?? '') || 0;
  const latest = [...warnings]
    .sort((a, b) => when(a) - when(b) || (a.count ?? 1) - (b.count ?? 1))
    .slice(-1);
  for (const event of latest) {
    const probe = event.message.startsWith('Readiness probe')
      ? ` (${probeText(pod.spec.containers.find((c) => c.readinessProbe)?.readinessProbe)})`
      : '';
    reasons.push(
      `${event.reason}: ${event.message.trim()}${probe}${event.count && event.count > 1 ? ` ×${event.count}` : ''}`,
    );
  }
  if (!reasons.length) reasons.push(`phase ${pod.status.phase ?? 'Pending'}`);
  return `pod ${pod.metadata.name}: ${reasons.join('; ')}`;
}

/** Each workload that has not rolled out, and why (its pods' problems). */
export function workloadProblems(snapshot: NamespaceSnapshot): string[] {
  return snapshot.workloads
    .filter((workload) => !isRolledOut(workload))
    .map((workload) => {
      const selector = workload.spec.selector.matchLabels ?? {};
      const pods = snapshot.pods.filter((pod) =>
        matches(pod.metadata.labels, selector),
      );
      const problems = pods
        .map((pod) => podProblem(pod, snapshot.events))
        .filter((problem): problem is string => !!problem);
      const ready = workload.status.readyReplicas ?? 0;
      return `${workload.kind}/${workload.metadata.name}: ${ready}/${workload.spec.replicas ?? 1} ready${
        problems.length ? `; ${problems.slice(0, 2).join('; ')}` : ''
      }`;
    });
}

/** Services whose selector matches no pod, or whose endpoints are none of them ready. */
export function serviceProblems(snapshot: NamespaceSnapshot): string[] {
  const problems: string[] = [];
  for (const service of snapshot.services) {
    const selector = service.spec.selector;
    if (!selector || !Object.keys(selector).length) continue;
    const selected = snapshot.pods.filter(
      (pod) =>
        !pod.metadata.deletionTimestamp &&
        matches(pod.metadata.labels, selector),
    );
    if (!selected.length) {
      const near = [
        ...new Set(
          snapshot.pods
            .map((pod) => pod.metadata.labels?.['app.kubernetes.io/name'])
            .filter(Boolean),
        ),
      ];
      problems.push(
        `Service/${service.metadata.name}: selector ${selectorText(selector)} matches no pod (no endpoints; pods here are ${near.join(', ')})`,
      );
      continue;
    }
    const slices = snapshot.endpointSlices.filter(
      (slice) =>
        slice.metadata.labels?.['kubernetes.io/service-name'] ===
        service.metadata.name,
    );
    const readyEndpoints = slices
      .flatMap((slice) => slice.endpoints ?? [])
      .filter((e) => e.conditions?.ready !== false);
    if (!readyEndpoints.length)
      problems.push(
        `Service/${service.metadata.name}: ${selected.length} pods selected, none of them a ready endpoint`,
      );
  }
  return problems;
}

export class RolloutError extends Error {
  constructor(
    readonly namespace: string,
    readonly problems: string[],
  ) {
    super(
      `namespace ${namespace} did not roll out:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
  }
}

/**
 * A pod that keeps failing readiness long after it started will not get better by waiting:
 * fail then, not at the timeout (a typo in a probe path fails within about a minute).
 */
function hopeless(snapshot: NamespaceSnapshot, now: number): boolean {
  return snapshot.pods.some((pod) => {
    const started =
      pod.status.containerStatuses?.[0]?.state?.running?.startedAt;
    if (!started || now - Date.parse(started) < 30_000) return false;
    return (
      snapshot.events.some(
        (event) =>
          event.involvedObject.name === pod.metadata.name &&
          event.reason === 'Unhealthy' &&
          event.message.startsWith('Readiness probe') &&
          (event.count ?? 1) >= 8,
      ) ||
      (pod.status.containerStatuses ?? []).some(
        (status) => status.restartCount >= 3,
      )
    );
  });
}

/** Resolves when every workload is rolled out and every Service has ready endpoints. */
export async function waitForRollout(
  kubectl: Kubectl,
  namespace: string,
  options: { timeoutMs?: number; progress?: (line: string) => void } = {},
): Promise<number> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 240_000;
  let last = '';
  for (;;) {
    const snapshot = await snapshotNamespace(kubectl, namespace);
    const pending = workloadProblems(snapshot);
    if (!pending.length && snapshot.workloads.length) {
      const services = serviceProblems(snapshot);
      if (!services.length) return performance.now() - started;
      // Endpoints trail readiness by a moment; a selector that matches nothing never recovers.
      if (
        services.some((problem) => problem.includes('matches no pod')) ||
        performance.now() - started > timeoutMs
      )
        throw new RolloutError(namespace, services);
    } else if (
      performance.now() - started > timeoutMs ||
      hopeless(snapshot, Date.now())
    ) {
      throw new RolloutError(namespace, [
        ...pending,
        ...serviceProblems(snapshot),
      ]);
    }
    const summary = pending.map((line) => line.split(';')[0]).join(', ');
    if (summary && summary !== last) options.progress?.(`waiting: ${summary}`);
    last = summary;
    await sleep(1000);
  }
}

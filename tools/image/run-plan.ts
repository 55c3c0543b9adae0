import type { Container, Probe, Volume } from 'kubernetes-types/core/v1';
import {
  dataOf,
  resolveEnvironment,
  type Workload,
  type KubernetesObject,
} from '../k8s-policy';

/** A file a Secret or ConfigMap volume projects into the container. */
export interface ProjectedFile {
  name: string;
  content: string;
  mode: number;
}

export interface PlannedVolume {
  name: string;
  mountPath: string;
  readOnly: boolean;
  /** emptyDir → a tmpfs of this size; Secret/ConfigMap → these files, owned by root:group. */
  emptyDirMiB?: number;
  files?: ProjectedFile[];
  group?: number;
}

/** How the kubelet would run one Deployment's app container, as podman arguments need it. */
export interface RunPlan {
  workload: string;
  image: string;
  user: number;
  group: number;
  readOnlyRootFilesystem: boolean;
  dropAllCapabilities: boolean;
  noNewPrivileges: boolean;
  containerPort: number;
  livenessPath: string;
  readinessPath: string;
  /** Seconds a starting pod gets before the kubelet gives up (startupProbe). */
  startupBudgetSeconds: number;
  terminationGracePeriodSeconds: number;
  /** The kubelet runs the preStop sleep before SIGTERM; both come out of the grace period. */
  preStopSleepSeconds: number;
  /** resources: the container gets its limits; the idle footprint is checked against requests. */
  memoryLimitMiB?: number;
  memoryRequestMiB?: number;
  cpuLimit?: number;
  environment: Record<string, string>;
  volumes: PlannedVolume[];
  problems: string[];
}

const SIZE_UNITS: Record<string, number> = {
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  k: 1000 / 1024 / 1024,
  M: 1_000_000 / 1024 / 1024,
  G: 1_000_000_000 / 1024 / 1024,
};

/** `64Mi` → 64 (MiB); a bare number is bytes. */
export function quantityToMiB(quantity: string | number): number {
  const match = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(String(quantity));
  if (!match) throw new Error(`not a quantity: ${quantity}`);
  const unit = match[2];
  if (unit === '') return Number(match[1]) / 1024 / 1024;
  if (!(unit in SIZE_UNITS)) throw new Error(`unknown unit in ${quantity}`);
  return Number(match[1]) * SIZE_UNITS[unit];
}

/** `500m` → 0.5, `'1'` → 1. */
export function cpuQuantity(quantity: string | number): number {
  const text = String(quantity);
  return text.endsWith('m') ? Number(text.slice(0, -1)) / 1000 : Number(text);
}

const optional = <T>(
  value: string | number | undefined,
  parse: (value: string | number) => T,
) => (value === undefined ? undefined : parse(value));

const probePath = (probe: Probe | undefined) => probe?.httpGet?.path;

function portNumber(container: Container, port: string | number | undefined) {
  if (typeof port === 'number') return port;
  return container.ports?.find((candidate) => candidate.name === port)
    ?.containerPort;
}

function planVolume(
  volume: Volume | undefined,
  mountPath: string,
  readOnly: boolean,
  objects: KubernetesObject[],
  fsGroup: number | undefined,
  problems: string[],
): PlannedVolume | undefined {
  if (!volume) {
    problems.push(`volumeMount ${mountPath} names no volume of the pod`);
    return undefined;
  }
  if (volume.emptyDir) {
    // Without a sizeLimit an emptyDir is bounded by the node's disk; a tmpfs needs a size.
    const sizeLimit = volume.emptyDir.sizeLimit;
    return {
      name: volume.name,
      mountPath,
      readOnly,
      emptyDirMiB: sizeLimit ? quantityToMiB(sizeLimit) : 64,
    };
  }
  const source = volume.secret ?? volume.configMap;
  if (source) {
    const kind = volume.secret ? 'Secret' : 'ConfigMap';
    const name = volume.secret?.secretName ?? volume.configMap?.name ?? '';
    const data = dataOf(objects, kind, name);
    if (!data) {
      problems.push(`volume ${volume.name}: ${kind}/${name} is not rendered`);
      return undefined;
    }
    const mode = source.defaultMode ?? 0o644;
    return {
      name: volume.name,
      mountPath,
      readOnly: true,
      group: fsGroup ?? 0,
      files: Object.entries(data).map(([file, content]) => ({
        name: file,
        content,
        mode,
      })),
    };
  }
  problems.push(
    `volume ${volume.name}: only emptyDir, Secret and ConfigMap volumes can be reproduced here`,
  );
  return undefined;
}

/**
 * Reads a Deployment the way the kubelet would run its first container: the pod's and the
 * container's securityContext, the probes, the grace period, the environment resolved from
 * its ConfigMaps and Secrets, and every volume it mounts (nothing else is writable).
 */
export function planRun(
  workload: Workload,
  objects: KubernetesObject[],
): RunPlan {
  const problems: string[] = [];
  const container = workload.pod.containers[0];
  const pod = workload.pod.securityContext ?? {};
  const own = container.securityContext ?? {};
  const user = own.runAsUser ?? pod.runAsUser;
  const group = own.runAsGroup ?? pod.runAsGroup ?? user;
  if (user === undefined)
    problems.push('no runAsUser: the image USER would decide');
  const resolved = resolveEnvironment(container, objects);
  problems.push(...resolved.problems);
  const environment = { ...resolved.values };
  // The downward API, as the kubelet fills it in.
  for (const [name, source] of Object.entries(resolved.sources))
    if (source === 'fieldRef:metadata.name')
      environment[name] = `${workload.name}-smoke-0`;

  const volumes = (container.volumeMounts ?? []).flatMap((mount) => {
    const planned = planVolume(
      workload.pod.volumes?.find((volume) => volume.name === mount.name),
      mount.mountPath,
      mount.readOnly ?? false,
      objects,
      pod.fsGroup,
      problems,
    );
    return planned ? [planned] : [];
  });

  const readinessPath = probePath(container.readinessProbe);
  const livenessPath = probePath(container.livenessProbe);
  const port = portNumber(container, container.readinessProbe?.httpGet?.port);
  if (!readinessPath || !livenessPath || port === undefined)
    problems.push('no HTTP liveness and readiness probes to check against');
  const startup = container.startupProbe;
  return {
    workload: workload.name,
    image: container.image ?? '',
    user: user ?? 0,
    group: group ?? 0,
    readOnlyRootFilesystem: own.readOnlyRootFilesystem === true,
    dropAllCapabilities: own.capabilities?.drop?.includes('ALL') ?? false,
    noNewPrivileges: own.allowPrivilegeEscalation === false,
    containerPort: port ?? 0,
    livenessPath: livenessPath ?? '',
    readinessPath: readinessPath ?? '',
    startupBudgetSeconds: startup
      ? (startup.failureThreshold ?? 3) * (startup.periodSeconds ?? 10)
      : 30,
    terminationGracePeriodSeconds:
      workload.pod.terminationGracePeriodSeconds ?? 30,
    preStopSleepSeconds: container.lifecycle?.preStop?.sleep?.seconds ?? 0,
    memoryLimitMiB: optional(
      container.resources?.limits?.memory,
      quantityToMiB,
    ),
    memoryRequestMiB: optional(
      container.resources?.requests?.memory,
      quantityToMiB,
    ),
    cpuLimit: optional(container.resources?.limits?.cpu, cpuQuantity),
    environment,
    volumes,
    problems,
  };
}

/**
 * Redis with replicas and Sentinel (k8s/components/redis-sentinel): the pieces a failover needs,
 * each of which fails silently when missing (the set still starts; the first primary kill then
 * shows what was missing). Tied to the apps' own reading of REDIS_SENTINELS and
 * REDIS_SENTINEL_NAME (their zod schemas), to the NetworkPolicies' computed connection matrix,
 * and to the scripts the containers actually run.
 */
import { allowedConnections, type NetworkEndpoint } from './network';
import {
  appContainersOf,
  ofKind,
  portOf,
  selects,
  workloadsOf,
  type Workload,
} from './objects';
import { dataOf, parsedEnvironment, resolveEnvironment } from './environment';
import { type KubernetesObject, nameOf } from './rendering';
import type { CodeFacts } from './code-facts';
import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { Container, Probe, Service } from 'kubernetes-types/core/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';

/** The container port names the set is recognised by (as the base's `redis` port). */
export const REDIS_PORT_NAME = 'redis';
export const SENTINEL_PORT_NAME = 'sentinel';

interface SentinelSet {
  workload: Workload;
  redis: Container;
  sentinel: Container;
  where: string;
}

const containerWithPort = (workload: Workload, name: string) =>
  workload.pod.containers.find((container) =>
    (container.ports ?? []).some((port) => port.name === name),
  );

/** Workloads running a Sentinel (a container port named `sentinel`). */
function sentinelSetsOf(objects: KubernetesObject[]): SentinelSet[] {
  return workloadsOf(objects).flatMap((workload) => {
    const sentinel = containerWithPort(workload, SENTINEL_PORT_NAME);
    const redis = containerWithPort(workload, REDIS_PORT_NAME);
    if (!sentinel) return [];
    return [
      {
        workload,
        sentinel,
        redis: redis ?? sentinel,
        where: nameOf(workload.object),
      },
    ];
  });
}

/** `sh /scripts/x.sh` → the script's key in the ConfigMap mounted at /scripts, if any. */
function scriptProblems(
  set: SentinelSet,
  container: Container,
  command: string[] | undefined,
  what: string,
  objects: KubernetesObject[],
): string[] {
  const where = `${set.where} container ${container.name}`;
  const script = (command ?? []).find((part) => part.endsWith('.sh'));
  if (!script) return [];
  const mount = (container.volumeMounts ?? []).find((candidate) =>
    script.startsWith(`${candidate.mountPath.replace(/\/$/, '')}/`),
  );
  const volume = set.workload.pod.volumes?.find(
    (candidate) => candidate.name === mount?.name,
  );
  const name = volume?.configMap?.name;
  const data = name ? dataOf(objects, 'ConfigMap', name) : undefined;
  const key = mount
    ? script.slice(mount.mountPath.length).replace(/^\//, '')
    : '';
  if (!mount || !data)
    return [
      `${where}: ${what} runs ${script}, which no mounted ConfigMap holds`,
    ];
  if (!(key in data))
    return [
      `${where}: ${what} runs ${script}, but ConfigMap/${name} has no key ${key}`,
    ];
  return [];
}

/** A readiness that knows the role runs a command; a TCP or HTTP check cannot ask INFO. */
function roleAwareReadiness(probe: Probe | undefined): boolean {
  return !!probe?.exec?.command?.length && !probe.tcpSocket && !probe.httpGet;
}

/** The value after `--flag` in a container's arguments (redis-server's command-line form). */
function argumentOf(container: Container, flag: string): string | undefined {
  const args = [...(container.command ?? []), ...(container.args ?? [])];
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}

function setProblems(
  set: SentinelSet,
  objects: KubernetesObject[],
): { problems: string[]; quorum: number; masterName?: string } {
  const { workload, redis, sentinel, where } = set;
  const problems: string[] = [];
  const replicas = workload.replicas;
  const environment = resolveEnvironment(sentinel, objects).values;
  const quorum = Number(environment.SENTINEL_QUORUM);
  const majority = Math.floor(replicas / 2) + 1;

  if (workload.object.kind !== 'StatefulSet')
    problems.push(
      `${where}: Sentinel runs in a ${workload.object.kind}; nodes need the stable names and claims of a StatefulSet`,
    );
  if (redis === sentinel)
    problems.push(
      `${where}: no Redis container (a port named redis) beside the Sentinel`,
    );
  if (replicas < 3)
    problems.push(
      `${where}: ${replicas} Redis node(s) with a Sentinel each: a failover needs at least 3 (a majority of Sentinels must survive a lost pod)`,
    );
  if (!Number.isInteger(quorum) || quorum < majority || quorum > replicas)
    problems.push(
      `${where}: SENTINEL_QUORUM ${environment.SENTINEL_QUORUM} (expected a majority of ${replicas}: ${majority}..${replicas})`,
    );
  if (Number(environment.REDIS_NODES) !== replicas)
    problems.push(
      `${where}: REDIS_NODES ${environment.REDIS_NODES} but ${replicas} replicas: the start asks the wrong set of Sentinels`,
    );
  if (!environment.SENTINEL_MASTER_NAME)
    problems.push(`${where}: SENTINEL_MASTER_NAME is not set`);
  const redisEnvironment = resolveEnvironment(redis, objects).values;
  if (
    redis !== sentinel &&
    redisEnvironment.SENTINEL_MASTER_NAME !== environment.SENTINEL_MASTER_NAME
  )
    problems.push(
      `${where}: the Redis container asks the Sentinels for "${redisEnvironment.SENTINEL_MASTER_NAME}", they monitor "${environment.SENTINEL_MASTER_NAME}"`,
    );

  // Writes refused by a primary with no replica attached: an isolated old primary.
  const minReplicas = Number(argumentOf(redis, '--min-replicas-to-write'));
  if (!(minReplicas >= 1))
    problems.push(
      `${where} container ${redis.name}: no --min-replicas-to-write ≥ 1: a primary cut off from its replicas keeps taking writes a failover drops`,
    );

  if (!redis.lifecycle?.preStop?.exec?.command?.length)
    problems.push(
      `${where} container ${redis.name}: no preStop handover: a drain or rollout stops the primary cold, and the set waits down-after-milliseconds and an election instead of switching`,
    );
  for (const container of [redis, sentinel]) {
    if (!roleAwareReadiness(container.readinessProbe))
      problems.push(
        `${where} container ${container.name}: readinessProbe does not ask the node its role (expected an exec probe; a TCP check is ready for a replica with no primary)`,
      );
    problems.push(
      ...scriptProblems(
        set,
        container,
        container.command,
        'its start',
        objects,
      ),
      ...scriptProblems(
        set,
        container,
        container.readinessProbe?.exec?.command,
        'its readinessProbe',
        objects,
      ),
      ...scriptProblems(
        set,
        container,
        container.lifecycle?.preStop?.exec?.command,
        'its preStop',
        objects,
      ),
    );
  }

  // Every node's data on a claim of its own, mounted where redis-server writes (--dir).
  const statefulSet = workload.object as unknown as StatefulSet;
  const dataDirectory = argumentOf(redis, '--dir') ?? '/data';
  const dataMount = (redis.volumeMounts ?? []).find(
    (mount) => mount.mountPath === dataDirectory,
  );
  if (
    !dataMount ||
    !(statefulSet.spec?.volumeClaimTemplates ?? []).some(
      (claim) => claim.metadata?.name === dataMount.name,
    )
  )
    problems.push(
      `${where}: ${dataDirectory} is not a volumeClaimTemplate's claim: a replaced pod starts empty and its replicas copy the emptiness`,
    );

  // Stable names, published before the pods are ready.
  const governing = ofKind<Service>(objects, 'Service').find(
    (service) => service.metadata.name === statefulSet.spec?.serviceName,
  );
  if (!governing)
    problems.push(
      `${where}: its governing Service ${statefulSet.spec?.serviceName} is not rendered: the pods have no stable names`,
    );
  else {
    if (governing.spec?.clusterIP !== 'None')
      problems.push(`${nameOf(governing)}: not headless (clusterIP: None)`);
    if (governing.spec?.publishNotReadyAddresses !== true)
      problems.push(
        `${nameOf(governing)}: publishNotReadyAddresses is not true: a syncing replica or a starting Sentinel has no name, so none gets ready`,
      );
    if (
      !selects(
        { matchLabels: governing.spec?.selector },
        workload.template.metadata?.labels,
      )
    )
      problems.push(
        `${nameOf(governing)}: does not select the pods of ${where}`,
      );
  }
  // A Service with a virtual IP over the whole set would send writes to replicas.
  for (const service of ofKind<Service>(objects, 'Service'))
    if (
      service.spec?.clusterIP !== 'None' &&
      service.spec?.selector &&
      selects(
        { matchLabels: service.spec.selector },
        workload.template.metadata?.labels,
      ) &&
      (service.spec.ports ?? []).some(
        (port) =>
          portOf(redis.ports ?? [], port.targetPort ?? port.port)?.name ===
          REDIS_PORT_NAME,
      )
    )
      problems.push(
        `${nameOf(service)}: balances port redis over every node of ${where}, replicas included (writes there fail READONLY); clients ask the Sentinels`,
      );

  // Drains leave the quorum (and a majority) of Sentinels, and never block.
  const budgets = ofKind<PodDisruptionBudget>(
    objects,
    'PodDisruptionBudget',
  ).filter((budget) =>
    selects(budget.spec?.selector, workload.template.metadata?.labels),
  );
  if (budgets.length !== 1)
    problems.push(
      `${where}: ${budgets.length} PodDisruptionBudgets select its pods (expected 1)`,
    );
  else {
    const { minAvailable, maxUnavailable } = budgets[0].spec ?? {};
    const absolute = (value: number | string | undefined) =>
      typeof value === 'string' && value.endsWith('%')
        ? Math.ceil((replicas * Number(value.slice(0, -1))) / 100)
        : Number(value);
    const evictable =
      maxUnavailable !== undefined
        ? absolute(maxUnavailable)
        : replicas - absolute(minAvailable);
    if (replicas - evictable < Math.max(quorum || 0, majority))
      problems.push(
        `${where}: PodDisruptionBudget ${budgets[0].metadata?.name} lets a drain take ${evictable} of ${replicas} pods, leaving fewer Sentinels than the quorum and a majority (${Math.max(quorum || 0, majority)})`,
      );
  }

  // Spread over nodes where there are several; preferred, so a one-node cluster still schedules.
  const antiAffinity = workload.pod.affinity?.podAntiAffinity;
  const spreads = (
    antiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []
  ).some(
    (term) =>
      term.podAffinityTerm.topologyKey === 'kubernetes.io/hostname' &&
      selects(
        term.podAffinityTerm.labelSelector,
        workload.template.metadata?.labels,
      ),
  );
  if (!spreads)
    problems.push(
      `${where}: no preferred pod anti-affinity over kubernetes.io/hostname: all nodes may share one machine, and lose it together`,
    );
  if (
    (antiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])
      .length > 0
  )
    problems.push(
      `${where}: required pod anti-affinity leaves pods Pending on a cluster with fewer nodes than ${replicas} (kind, minikube): prefer it`,
    );

  return { problems, quorum, masterName: environment.SENTINEL_MASTER_NAME };
}

/**
 * Redis with Sentinel holds together: every Sentinel set (a workload with a container port named
 * `sentinel`) is a StatefulSet of at least 3 pods, each with Redis and a Sentinel beside it, a
 * majority quorum, `min-replicas-to-write` ≥ 1, role-aware readiness, claims for the data, a
 * headless Service publishing unready pods, no Service balancing writes over replicas, a budget
 * that keeps the quorum, and preferred anti-affinity. Every app reading REDIS_URL asks the
 * Sentinels (REDIS_SENTINELS, as its schema parses it) for the master they monitor, lists every
 * Sentinel of the set by its stable name, and the NetworkPolicies let it reach the Sentinels and
 * every node (the primary is whichever the Sentinels name), let the set reach itself, and let it
 * resolve names through `dns`.
 */
export function checkRedisSentinel(
  objects: KubernetesObject[],
  facts: CodeFacts,
  dns: NetworkEndpoint,
): string[] {
  const sets = sentinelSetsOf(objects);
  const clients = appContainersOf(objects, facts).flatMap((client) => {
    const environment = parsedEnvironment(
      client.container,
      client.app,
      objects,
    );
    if (!environment || environment.REDIS_URL === undefined) return [];
    return [
      {
        ...client,
        sentinels: (environment.REDIS_SENTINELS ?? []) as {
          host: string;
          port: number;
        }[],
        masterName: environment.REDIS_SENTINEL_NAME as string | undefined,
      },
    ];
  });
  if (sets.length === 0 && !clients.some((client) => client.sentinels.length))
    return []; // single-node Redis: nothing of this applies
  const problems: string[] = [];
  const connections = new Set(allowedConnections(objects, [dns]));
  const reaches = (from: string, to: string, port: string, protocol = 'TCP') =>
    connections.has(`${from} -> ${to}:${port}/${protocol}`);

  const summaries = sets.map((set) => ({ set, ...setProblems(set, objects) }));
  for (const { problems: found } of summaries) problems.push(...found);
  for (const { set } of summaries) {
    const name = set.workload.name;
    for (const port of [REDIS_PORT_NAME, SENTINEL_PORT_NAME])
      if (!reaches(name, name, port))
        problems.push(
          `${set.where}: the NetworkPolicies do not let its pods reach each other on port ${port} (replication, Sentinels watching nodes and each other)`,
        );
    if (
      !dns.ports.some((port) =>
        reaches(name, dns.name, port.name ?? String(port.port), port.protocol),
      )
    )
      problems.push(
        `${set.where}: the NetworkPolicies do not let it reach ${dns.name}: the nodes and Sentinels find each other by name (resolve-hostnames)`,
      );
  }

  for (const client of clients) {
    if (client.sentinels.length === 0) {
      problems.push(
        `${client.where}: connects to one Redis node (REDIS_URL, no REDIS_SENTINELS) while a Sentinel set is rendered: it will not follow a failover`,
      );
      continue;
    }
    const named = client.sentinels.map(({ host, port }) => {
      const match = summaries.find(({ set }) => {
        const service = (set.workload.object as unknown as StatefulSet).spec
          ?.serviceName;
        const ordinal = new RegExp(
          `^${set.workload.name}-(\\d+)\\.${service}(\\.${set.workload.namespace ?? 'default'}(\\.svc(\\.cluster\\.local)?)?)?$`,
        ).exec(host);
        return (
          !!ordinal &&
          Number(ordinal[1]) < set.workload.replicas &&
          portOf(set.sentinel.ports ?? [], port)?.name === SENTINEL_PORT_NAME
        );
      });
      if (!match)
        problems.push(
          `${client.where}: REDIS_SENTINELS names ${host}:${port}, which is no Sentinel pod of a rendered StatefulSet (<set>-<ordinal>.<governing Service>:<sentinel port>)`,
        );
      return { host, match };
    });
    for (const summary of summaries) {
      const listed = new Set(
        named.filter(({ match }) => match === summary).map(({ host }) => host),
      );
      if (listed.size === 0) continue;
      if (listed.size < summary.set.workload.replicas)
        problems.push(
          `${client.where}: REDIS_SENTINELS lists ${listed.size} of the ${summary.set.workload.replicas} Sentinels of ${summary.set.where}: a pod starting while those are down cannot find the primary`,
        );
      if (client.masterName !== summary.masterName)
        problems.push(
          `${client.where}: asks for master "${client.masterName}" (REDIS_SENTINEL_NAME), the Sentinels of ${summary.set.where} monitor "${summary.masterName}"`,
        );
      for (const port of [SENTINEL_PORT_NAME, REDIS_PORT_NAME])
        if (!reaches(client.workload.name, summary.set.workload.name, port))
          problems.push(
            `${client.where}: the NetworkPolicies do not let ${client.workload.name} reach ${summary.set.workload.name}:${port}${port === SENTINEL_PORT_NAME ? ' (it asks the Sentinels for the primary)' : ' (the primary is whichever node the Sentinels name)'}`,
          );
    }
  }
  return problems;
}

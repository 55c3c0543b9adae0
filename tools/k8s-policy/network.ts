/**
 * Network policies: the connection matrix they allow, computed the way a policy-enforcing CNI
 * decides.
 */
import {
  type Labels,
  ofKind,
  workloadsOf,
  selects,
  isEmptySelector,
} from './objects';
import type { KubernetesObject } from './rendering';
import type {
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
} from 'kubernetes-types/networking/v1';

/** A pod (template) or an outside peer a connection can start from or go to. */
export interface NetworkEndpoint {
  name: string;
  namespace: string;
  namespaceLabels: Labels;
  labels: Labels;
  ports: { name?: string; port: number; protocol: string }[];
}

function endpointsOf(objects: KubernetesObject[]): NetworkEndpoint[] {
  return workloadsOf(objects).map((workload) => ({
    name: workload.name,
    namespace: workload.namespace ?? 'default',
    namespaceLabels: {
      'kubernetes.io/metadata.name': workload.namespace ?? 'default',
    },
    labels: workload.template.metadata?.labels ?? {},
    ports: workload.pod.containers.flatMap((container) =>
      (container.ports ?? []).map((port) => ({
        name: port.name,
        port: port.containerPort,
        protocol: port.protocol ?? 'TCP',
      })),
    ),
  }));
}

function peerMatches(
  peer: NetworkPolicyPeer,
  policyNamespace: string,
  endpoint: NetworkEndpoint,
): boolean {
  if (peer.ipBlock) return false;
  const namespaceMatches = peer.namespaceSelector
    ? selects(peer.namespaceSelector, endpoint.namespaceLabels) ||
      isEmptySelector(peer.namespaceSelector)
    : endpoint.namespace === policyNamespace;
  const podMatches = peer.podSelector
    ? isEmptySelector(peer.podSelector) ||
      selects(peer.podSelector, endpoint.labels)
    : true;
  return namespaceMatches && podMatches;
}

function portMatches(
  ports: NetworkPolicyPort[] | undefined,
  port: NetworkEndpoint['ports'][number],
): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some(
    (candidate) =>
      (candidate.protocol ?? 'TCP') === port.protocol &&
      (candidate.port === undefined ||
        candidate.port === port.port ||
        (typeof candidate.port === 'string' && candidate.port === port.name)),
  );
}

function policiesSelecting(
  policies: NetworkPolicy[],
  endpoint: NetworkEndpoint,
  direction: 'Ingress' | 'Egress',
) {
  return policies.filter(
    (policy) =>
      (policy.metadata?.namespace ?? 'default') === endpoint.namespace &&
      (isEmptySelector(policy.spec?.podSelector) ||
        selects(policy.spec?.podSelector, endpoint.labels)) &&
      (
        policy.spec?.policyTypes ??
        (policy.spec?.egress ? ['Ingress', 'Egress'] : ['Ingress'])
      ).includes(direction),
  );
}

/**
 * Every connection the NetworkPolicies allow between the rendered pods and the given outside
 * peers, as `from -> to:port/protocol`, computed the way a policy-enforcing CNI decides:
 * a connection needs the source's egress and the destination's ingress to allow it, and a pod
 * no policy selects for a direction is open in that direction. Only pods of the rendered
 * namespace(s) are governed; outside peers are taken as they are.
 */
export function allowedConnections(
  objects: KubernetesObject[],
  outside: NetworkEndpoint[],
): string[] {
  const policies = ofKind<NetworkPolicy>(objects, 'NetworkPolicy');
  const inside = endpointsOf(objects);
  const governed = new Set(inside.map((endpoint) => endpoint.namespace));
  const allows = (
    from: NetworkEndpoint,
    to: NetworkEndpoint,
    port: NetworkEndpoint['ports'][number],
  ) => {
    const egress = governed.has(from.namespace)
      ? policiesSelecting(policies, from, 'Egress')
      : [];
    const ingress = governed.has(to.namespace)
      ? policiesSelecting(policies, to, 'Ingress')
      : [];
    const egressAllowed =
      !governed.has(from.namespace) ||
      egress.length === 0 ||
      egress.some((policy) =>
        (policy.spec?.egress ?? []).some(
          (rule) =>
            (!rule.to ||
              rule.to.length === 0 ||
              rule.to.some((peer) => peerMatches(peer, from.namespace, to))) &&
            portMatches(rule.ports, port),
        ),
      );
    const ingressAllowed =
      !governed.has(to.namespace) ||
      ingress.length === 0 ||
      ingress.some((policy) =>
        (policy.spec?.ingress ?? []).some(
          (rule) =>
            (!rule.from ||
              rule.from.length === 0 ||
              rule.from.some((peer) =>
                peerMatches(peer, to.namespace, from),
              )) &&
            portMatches(rule.ports, port),
        ),
      );
    return egressAllowed && ingressAllowed;
  };
  const connections: string[] = [];
  for (const from of [...inside, ...outside])
    for (const to of [...inside, ...outside]) {
      if (!governed.has(from.namespace) && !governed.has(to.namespace))
        continue;
      for (const port of to.ports)
        if (allows(from, to, port))
          connections.push(
            `${from.name} -> ${to.name}:${port.name ?? port.port}/${port.protocol}`,
          );
    }
  return connections.sort();
}

import { join } from 'node:path';

/**
 * Everything a running cluster owns on this machine, under one folder, so `down` knows all it
 * must remove. Outside the repository (one cluster per machine, whichever clone started it).
 */
export const CLUSTER_DIR =
  process.env.CLUSTER_DIR ?? '/var/lib/what-survives/cluster';

/** The node: a network namespace of its own, joined to the host by a veth pair (like a kind node). */
export const NODE = {
  name: 'what-survives',
  netns: 'what-survives',
  hostInterface: 'ws-node0',
  hostAddress: '10.200.0.1',
  /** The node's address: the API server and the entry point, as the host reaches them. */
  address: '10.200.0.2',
  prefixLength: 30,
  podSubnet: '10.244.0.0/24',
  serviceSubnet: '10.96.0.0/16',
  /** The first address of the service range: the `kubernetes` Service. */
  apiServiceAddress: '10.96.0.1',
  dnsAddress: '10.96.0.10',
  apiPort: 6443,
  /** Traefik's `web` entry point, as the kind setup publishes it (k8s/kind-cluster.yaml). */
  entryPointNodePort: 30080,
} as const;

export const ENTRY_POINT_URL = `http://${NODE.address}:${NODE.entryPointNodePort}`;

const at = (...parts: string[]) => join(CLUSTER_DIR, ...parts);

export const PATHS = {
  root: CLUSTER_DIR,
  /** What `up` recorded before changing the machine, for `down` to put back. */
  hostState: at('host-state.json'),
  pids: at('pids'),
  logs: at('logs'),
  config: at('config'),
  pki: at('pki'),
  kubeconfigs: at('kubeconfig'),
  /** The kubeconfig for people and tools (cluster-admin), `KUBECONFIG=` this. */
  adminKubeconfig: at('kubeconfig', 'admin.conf'),
  etcd: at('etcd'),
  containerdRoot: at('containerd', 'root'),
  containerdState: at('containerd', 'state'),
  containerdSocket: at('containerd', 'containerd.sock'),
  kubeletRoot: at('kubelet'),
  cniConfig: at('cni', 'net.d'),
  cniIpam: at('cni', 'ipam'),
  /** Bind-mounted over /var/lib/cni inside the node (libcni's cache has no other setting). */
  cniCache: at('cni', 'cache'),
  /** Bind-mounted over /var/log inside the node: pod and container logs stay on disk here. */
  nodeLogs: at('node-logs'),
  /** The provisioner's volumes (PersistentVolumes of StorageClass `standard`). */
  volumes: at('volumes'),
  images: at('images'),
  /** A persistent mount namespace (bound to this file) shared by every node process. */
  mountNamespaceDir: at('ns'),
  mountNamespace: at('ns', 'mnt'),
};

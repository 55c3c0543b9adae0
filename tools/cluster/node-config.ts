import { join } from 'node:path';
import { VERSIONS, IMAGES } from './components';
import { NODE, PATHS } from './layout';

/**
 * The configuration files of the node's programs. Each setting that differs from upstream's
 * default says why; everything else is left to the defaults a kubeadm cluster would have.
 */

const pki = (file: string) => join(PATHS.pki, file);
const kubeconfig = (file: string) => join(PATHS.kubeconfigs, file);
export const CLUSTER_DOMAIN = 'cluster.local';
const CLUSTER_POD_CIDR = '10.244.0.0/16';

/** kubeadm makes the PKI and kubeconfigs from this (`kubeadm init phase certs|kubeconfig`). */
export function kubeadmConfig(): string {
  return `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: ${NODE.address}
  bindPort: ${NODE.apiPort}
nodeRegistration:
  name: ${NODE.name}
  criSocket: unix://${PATHS.containerdSocket}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: ${VERSIONS.kubernetes}
clusterName: ${NODE.name}
certificatesDir: ${PATHS.pki}
controlPlaneEndpoint: ${NODE.address}:${NODE.apiPort}
networking:
  serviceSubnet: ${NODE.serviceSubnet}
  podSubnet: ${CLUSTER_POD_CIDR}
  dnsDomain: ${CLUSTER_DOMAIN}
apiServer:
  certSANs: [${NODE.address}, ${NODE.apiServiceAddress}, 127.0.0.1, localhost]
etcd:
  local:
    dataDir: ${PATHS.etcd}
`;
}

/** etcd as kubeadm runs it: TLS with client certificates, on the node's loopback only. */
export function etcdArgs(): string[] {
  const url = (port: number) => `https://127.0.0.1:${port}`;
  return [
    `--name=${NODE.name}`,
    `--data-dir=${PATHS.etcd}`,
    `--listen-client-urls=${url(2379)}`,
    `--advertise-client-urls=${url(2379)}`,
    `--listen-peer-urls=${url(2380)}`,
    `--initial-advertise-peer-urls=${url(2380)}`,
    `--initial-cluster=${NODE.name}=${url(2380)}`,
    '--listen-metrics-urls=http://127.0.0.1:2381',
    `--cert-file=${pki('etcd/server.crt')}`,
    `--key-file=${pki('etcd/server.key')}`,
    '--client-cert-auth=true',
    `--trusted-ca-file=${pki('etcd/ca.crt')}`,
    `--peer-cert-file=${pki('etcd/peer.crt')}`,
    `--peer-key-file=${pki('etcd/peer.key')}`,
    '--peer-client-cert-auth=true',
    `--peer-trusted-ca-file=${pki('etcd/ca.crt')}`,
    '--snapshot-count=10000',
  ];
}

export function apiServerArgs(): string[] {
  return [
    `--advertise-address=${NODE.address}`,
    '--bind-address=0.0.0.0',
    `--secure-port=${NODE.apiPort}`,
    '--etcd-servers=https://127.0.0.1:2379',
    `--etcd-cafile=${pki('etcd/ca.crt')}`,
    `--etcd-certfile=${pki('apiserver-etcd-client.crt')}`,
    `--etcd-keyfile=${pki('apiserver-etcd-client.key')}`,
    `--client-ca-file=${pki('ca.crt')}`,
    `--tls-cert-file=${pki('apiserver.crt')}`,
    `--tls-private-key-file=${pki('apiserver.key')}`,
    `--kubelet-client-certificate=${pki('apiserver-kubelet-client.crt')}`,
    `--kubelet-client-key=${pki('apiserver-kubelet-client.key')}`,
    '--kubelet-preferred-address-types=InternalIP',
    `--service-cluster-ip-range=${NODE.serviceSubnet}`,
    `--service-account-issuer=https://kubernetes.default.svc.${CLUSTER_DOMAIN}`,
    `--service-account-key-file=${pki('sa.pub')}`,
    `--service-account-signing-key-file=${pki('sa.key')}`,
    '--authorization-mode=Node,RBAC',
    // PodSecurity is on by default; the namespace's labels choose `restricted`.
    '--enable-admission-plugins=NodeRestriction',
    '--allow-privileged=true',
    `--requestheader-client-ca-file=${pki('front-proxy-ca.crt')}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-username-headers=X-Remote-User',
    `--proxy-client-cert-file=${pki('front-proxy-client.crt')}`,
    `--proxy-client-key-file=${pki('front-proxy-client.key')}`,
    '--profiling=false',
  ];
}

/**
 * What the controller manager and the scheduler share: their kubeconfig for everything, their
 * own endpoints on the node's loopback, and one control plane, so nothing to elect (and no
 * lease renewals to miss on a busy machine).
 */
function controlPlaneComponentArgs(kubeconfigFile: string): string[] {
  const config = kubeconfig(kubeconfigFile);
  return [
    `--kubeconfig=${config}`,
    `--authentication-kubeconfig=${config}`,
    `--authorization-kubeconfig=${config}`,
    '--bind-address=127.0.0.1',
    '--leader-elect=false',
    '--profiling=false',
  ];
}

export function controllerManagerArgs(): string[] {
  return [
    ...controlPlaneComponentArgs('controller-manager.conf'),
    `--client-ca-file=${pki('ca.crt')}`,
    `--requestheader-client-ca-file=${pki('front-proxy-ca.crt')}`,
    `--cluster-signing-cert-file=${pki('ca.crt')}`,
    `--cluster-signing-key-file=${pki('ca.key')}`,
    `--root-ca-file=${pki('ca.crt')}`,
    `--service-account-private-key-file=${pki('sa.key')}`,
    '--use-service-account-credentials=true',
    '--controllers=*,bootstrapsigner,tokencleaner',
    `--cluster-name=${NODE.name}`,
    `--service-cluster-ip-range=${NODE.serviceSubnet}`,
  ];
}

export function schedulerArgs(): string[] {
  return controlPlaneComponentArgs('scheduler.conf');
}

/** containerd 1.6 (Debian's), its CRI plugin as the kubelet needs it, everything under PATHS. */
export function containerdConfig(): string {
  return `# Written by tools/cluster (npm run cluster -- up); containerd --config <this file>.
version = 2
root = "${PATHS.containerdRoot}"
state = "${PATHS.containerdState}"
# Snapshotters this kernel cannot run (no module loading) or that need tools we do not have.
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
]

[grpc]
  address = "${PATHS.containerdSocket}"

[ttrpc]
  address = "${PATHS.containerdSocket}.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "${join(PATHS.containerdRoot, 'opt')}"

[plugins."io.containerd.grpc.v1.cri"]
  # Made on this machine (tools/cluster/images.ts): there is no registry to pull it from.
  sandbox_image = "${IMAGES.pause}"
  disable_apparmor = true
  # These machines deny CAP_SYS_RESOURCE even to root, and the kubelet asks for negative
  # oom_score_adj values (-998 for sandboxes): runc then fails every pod start ("can't get final
  # child's PID from pipe"). Clamp them to containerd's own score instead, as rootless setups do.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # containerd 1.6 cannot tell the kubelet its cgroup driver: both say cgroupfs.
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${PATHS.cniConfig}"
`;
}

/** Pod networking: one bridge, host-local addresses, masquerade off the pod subnet. */
export function cniConfig(): string {
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'what-survives',
      plugins: [
        {
          type: 'bridge',
          bridge: 'cni0',
          isGateway: true,
          ipMasq: true,
          // A pod reaching itself through its own Service (kube-proxy's hairpin masquerade).
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: NODE.podSubnet }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: PATHS.cniIpam,
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

export function kubeletConfig(): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# containerd 1.6 does not report a cgroup driver; cgroup v1 on these machines (1.34 still runs
# on it by default, failCgroupV1 says so explicitly).
cgroupDriver: cgroupfs
failCgroupV1: false
containerRuntimeEndpoint: unix://${PATHS.containerdSocket}
address: ${NODE.address}
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: ${pki('ca.crt')}
authorization:
  mode: Webhook
clusterDomain: ${CLUSTER_DOMAIN}
clusterDNS: [${NODE.dnsAddress}]
resolvConf: ${join(PATHS.config, 'resolv.conf')}
failSwapOn: false
podLogsDir: /var/log/pods
# Images cannot be pulled again here (no registry): never garbage-collect them, and evict only
# when the disk is really full.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 2%
  imagefs.available: 2%
  nodefs.inodesFree: 2%
`;
}

/** The node's resolver, for pods with dnsPolicy Default (CoreDNS's upstream). */
export function resolvConf(): string {
  return `# No resolver upstream of the cluster's DNS: these machines have no network beyond the
# package registries, so names outside cluster.local fail fast instead of timing out.
nameserver ${NODE.hostAddress}
`;
}

export function kubeProxyConfig(): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: ${kubeconfig('kube-proxy.conf')}
# No IPVS on these kernels (no module loading): iptables, inside the node's network namespace.
mode: iptables
clusterCIDR: ${CLUSTER_POD_CIDR}
hostnameOverride: ${NODE.name}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: [${NODE.address}/32]
# 0 = leave the kernel's conntrack settings alone: nf_conntrack_max is global to the machine.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`;
}

export function kubeletArgs(): string[] {
  return [
    `--config=${join(PATHS.config, 'kubelet.yaml')}`,
    `--kubeconfig=${kubeconfig('kubelet.conf')}`,
    `--root-dir=${PATHS.kubeletRoot}`,
    `--hostname-override=${NODE.name}`,
    `--node-ip=${NODE.address}`,
  ];
}

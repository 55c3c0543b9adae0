import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { NODE, PATHS } from './layout';
import { sh, succeeds } from './shell';

/**
 * The kernel settings the kubelet rewrites at start-up (setupKernelTunables in
 * pkg/kubelet/cm/container_manager_linux.go): global, not per namespace, so `up` records them
 * and `down` puts them back. kernel.panic_on_oops=1 in particular must not outlive the cluster.
 */
export const KUBELET_SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
] as const;

/** Paths the node's programs write to that have no setting of their own; see mountNodeFilesystems. */
const HOST_MOUNT_POINTS = ['/var/lib/cni'];

export interface HostState {
  /** The values before the first `up`, whatever later runs did. */
  sysctls: Record<string, string>;
  /** Directories `up` created on the host (mount points), removed by `down`. */
  createdDirectories: string[];
  startedAt: string;
  /** The clone that brought the cluster up. */
  repository: string;
}

const readSysctl = (name: string) =>
  readFileSync(`/proc/sys/${name}`, 'utf8').trim();

export function readHostState(): HostState | undefined {
  if (!existsSync(PATHS.hostState)) return undefined;
  return JSON.parse(readFileSync(PATHS.hostState, 'utf8')) as HostState;
}

/**
 * Records what the cluster will change, once: a second `up` after a crash keeps the values the
 * machine had before the first one.
 */
export function recordHostState(repository: string): HostState {
  const existing = readHostState();
  if (existing) return existing;
  mkdirSync(PATHS.root, { recursive: true });
  const state: HostState = {
    sysctls: Object.fromEntries(
      KUBELET_SYSCTLS.map((name) => [name, readSysctl(name)]),
    ),
    createdDirectories: [],
    startedAt: new Date().toISOString(),
    repository,
  };
  writeFileSync(PATHS.hostState, `${JSON.stringify(state, null, 2)}\n`);
  return state;
}

function saveHostState(state: HostState) {
  writeFileSync(PATHS.hostState, `${JSON.stringify(state, null, 2)}\n`);
}

const netnsExists = () =>
  sh('ip', ['netns', 'list'])
    .split('\n')
    .some((line) => line.split(' ')[0] === NODE.netns);

const inNetns = (command: string, args: string[]) =>
  sh('nsenter', [`--net=/run/netns/${NODE.netns}`, '--', command, ...args]);

/**
 * The node's network: a namespace of its own, so every rule kube-proxy and the CNI plugin write
 * lives (and dies) there, joined to the host by a veth pair. The host reaches the node at
 * NODE.address, as a laptop reaches a kind node's container.
 */
export function createNodeNetwork(): void {
  if (!netnsExists()) sh('ip', ['netns', 'add', NODE.netns]);
  if (!succeeds('ip', ['link', 'show', NODE.hostInterface])) {
    sh('ip', [
      'link',
      'add',
      NODE.hostInterface,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      NODE.netns,
    ]);
    sh('ip', [
      'addr',
      'add',
      `${NODE.hostAddress}/${NODE.prefixLength}`,
      'dev',
      NODE.hostInterface,
    ]);
    sh('ip', ['link', 'set', NODE.hostInterface, 'up']);
    inNetns('ip', [
      'addr',
      'add',
      `${NODE.address}/${NODE.prefixLength}`,
      'dev',
      'eth0',
    ]);
    inNetns('ip', ['link', 'set', 'eth0', 'up']);
    inNetns('ip', ['link', 'set', 'lo', 'up']);
    // A node has a default route: node processes dial Service addresses, which only exist as
    // DNAT rules until a route takes the packet that far. Nothing is forwarded beyond the host.
    inNetns('ip', ['route', 'add', 'default', 'via', NODE.hostAddress]);
  }
  // Per network namespace (these never reach the host's own settings): pods are routed through
  // the node, and bridged pod-to-pod traffic must pass iptables for Service DNAT to be undone.
  for (const [name, value] of [
    ['net.ipv4.ip_forward', '1'],
    ['net.bridge.bridge-nf-call-iptables', '1'],
    ['net.ipv4.conf.all.route_localnet', '1'],
  ])
    inNetns('sysctl', ['-q', '-w', `${name}=${value}`]);
}

const mounted = (path: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === path);

/**
 * One mount namespace for every node process (containerd, the kubelet, runc's containers),
 * bound to a file so it outlives each of them. Every mount they make (overlay root filesystems,
 * Secret tmpfs volumes, pod network namespaces) is made in it and disappears with it, whatever
 * state the programs were in when `down` stopped them. Inside, /run is a tmpfs of its own and
 * /var/log and /var/lib/cni come from the cluster's folder, so nothing is written on the host.
 */
export function createNodeMountNamespace(state: HostState): void {
  if (existsSync(PATHS.mountNamespace) && mounted(PATHS.mountNamespace)) return;
  mkdirSync(PATHS.mountNamespaceDir, { recursive: true });
  // The file a namespace is bound to must sit on a private mount (unshare(1)).
  if (!mounted(PATHS.mountNamespaceDir)) {
    sh('mount', ['--bind', PATHS.mountNamespaceDir, PATHS.mountNamespaceDir]);
    sh('mount', ['--make-private', PATHS.mountNamespaceDir]);
  }
  writeFileSync(PATHS.mountNamespace, '');
  for (const path of HOST_MOUNT_POINTS) {
    if (existsSync(path)) continue;
    mkdirSync(path, { recursive: true });
    state.createdDirectories.push(path);
    saveHostState(state);
  }
  for (const directory of [PATHS.nodeLogs, PATHS.cniCache])
    mkdirSync(directory, { recursive: true });
  sh('unshare', [
    `--mount=${PATHS.mountNamespace}`,
    '--propagation',
    'private',
    'true',
  ]);
  const inMountNamespace = (args: string[]) =>
    sh('nsenter', [`--mount=${PATHS.mountNamespace}`, '--', ...args]);
  inMountNamespace([
    'mount',
    '-t',
    'tmpfs',
    '-o',
    'mode=0755',
    'what-survives-run',
    '/run',
  ]);
  inMountNamespace(['mount', '--bind', PATHS.nodeLogs, '/var/log']);
  inMountNamespace(['mount', '--bind', PATHS.cniCache, '/var/lib/cni']);
}

export function nodeIsPresent(): boolean {
  return (
    netnsExists() &&
    existsSync(PATHS.mountNamespace) &&
    mounted(PATHS.mountNamespace)
  );
}

/**
 * The kubelet's cgroups (cgroupfs driver, cgroup v1): `kubepods` under every hierarchy, removed
 * deepest first. Any process still in one was started by this cluster's containerd: SIGKILL.
 */
export function removeKubeletCgroups(log: (line: string) => void): void {
  const root = '/sys/fs/cgroup';
  const directories: string[] = [];
  const walk = (directory: string) => {
    directories.push(directory);
    for (const entry of readdirSync(directory, { withFileTypes: true }))
      if (entry.isDirectory()) walk(join(directory, entry.name));
  };
  for (const hierarchy of existsSync(root) ? readdirSync(root) : []) {
    const kubepods = join(root, hierarchy, 'kubepods');
    if (existsSync(kubepods)) walk(kubepods);
  }
  const killed = new Set<number>();
  for (const directory of directories) {
    const procs = join(directory, 'cgroup.procs');
    if (!existsSync(procs)) continue;
    for (const pid of readFileSync(procs, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number)) {
      if (killed.has(pid)) continue;
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        // already gone
      }
    }
  }
  if (killed.size) log(`killed ${killed.size} leftover container processes`);
  for (const directory of directories.reverse()) {
    for (let attempt = 0; ; attempt++) {
      try {
        rmdirSync(directory);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        // EBUSY while the killed processes are still exiting.
        if (attempt >= 50)
          throw new Error(`cannot remove cgroup ${directory}: ${code}`, {
            cause: error,
          });
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      }
    }
  }
}

/** Puts back what `up` changed on the host; everything else went away with the namespaces. */
export function restoreHost(log: (line: string) => void): void {
  if (existsSync(PATHS.mountNamespace) && mounted(PATHS.mountNamespace))
    sh('umount', [PATHS.mountNamespace]);
  if (mounted(PATHS.mountNamespaceDir)) sh('umount', [PATHS.mountNamespaceDir]);
  if (netnsExists()) sh('ip', ['netns', 'delete', NODE.netns]);
  // The veth pair goes with the namespace; a half-made one from a failed `up` may not have.
  if (succeeds('ip', ['link', 'show', NODE.hostInterface]))
    sh('ip', ['link', 'delete', NODE.hostInterface]);
  const state = readHostState();
  if (!state) return;
  const restored: string[] = [];
  for (const [name, value] of Object.entries(state.sysctls)) {
    if (readSysctl(name) === value) continue;
    writeFileSync(`/proc/sys/${name}`, value);
    restored.push(`${name.replaceAll('/', '.')}=${value}`);
  }
  if (restored.length) log(`restored ${restored.join(', ')}`);
  for (const directory of state.createdDirectories.reverse()) {
    try {
      rmdirSync(directory);
    } catch {
      log(`left ${directory} in place: not empty`);
    }
  }
}

/** What is different from a machine that never ran the cluster (empty: nothing). */
export function hostLeftovers(): string[] {
  const left: string[] = [];
  if (netnsExists()) left.push(`network namespace ${NODE.netns}`);
  if (succeeds('ip', ['link', 'show', NODE.hostInterface]))
    left.push(`interface ${NODE.hostInterface}`);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((path) => path?.startsWith(PATHS.root));
  left.push(...mounts.map((path) => `mount ${path}`));
  for (const hierarchy of existsSync('/sys/fs/cgroup')
    ? readdirSync('/sys/fs/cgroup')
    : [])
    if (existsSync(join('/sys/fs/cgroup', hierarchy, 'kubepods')))
      left.push(`cgroup ${hierarchy}/kubepods`);
  const state = readHostState();
  for (const [name, value] of Object.entries(state?.sysctls ?? {}))
    if (readSysctl(name) !== value)
      left.push(
        `${name.replaceAll('/', '.')} is ${readSysctl(name)}, was ${value}`,
      );
  return left;
}

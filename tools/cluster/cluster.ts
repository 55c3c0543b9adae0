import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../build/ensure-built';
import { DEPLOYMENTS } from '../deployments';
import {
  DEV_SECRETS_DIR,
  generateDevSecrets,
} from '../secrets/generate-dev-secrets';
import {
  ADDONS,
  CLUSTER_ADMINS_BINDING,
  renderAddon,
  traefikCustomResourceDefinitions,
} from './addons';
import {
  ensureGoComponent,
  ensurePause,
  recipeOf,
  type BuiltComponent,
} from './go-build';
import {
  createNodeMountNamespace,
  createNodeNetwork,
  hostLeftovers,
  nodeIsPresent,
  readHostState,
  recordHostState,
  removeKubeletCgroups,
  restoreHost,
} from './host';
import {
  appImage,
  buildAppImages,
  buildPlatformImages,
  clusterPodman,
  imageId,
  importImages,
} from './images';
import { Kubectl } from './kubectl';
import { ENTRY_POINT_URL, NODE, PATHS } from './layout';
import {
  apiServerArgs,
  cniConfig,
  containerdConfig,
  controllerManagerArgs,
  etcdArgs,
  kubeadmConfig,
  kubeletArgs,
  kubeletConfig,
  kubeProxyConfig,
  resolvConf,
  schedulerArgs,
} from './node-config';
import {
  isRunning,
  logTail,
  NODE_PROCESSES,
  recordedProcesses,
  runningProcess,
  startNodeProcess,
  stopNodeProcess,
} from './node-processes';
import { waitForRollout } from './rollout';
import { inNode, sh, shAsync } from './shell';

export const APP_NAMESPACE = 'what-survives';
/** The overlay users apply (docs/kubernetes.md); nothing in it had to change for this cluster. */
export const OVERLAY = join(ROOT, 'k8s', 'overlays', 'dev');

export interface Programs {
  kubernetes: BuiltComponent;
  etcd: BuiltComponent;
  coredns: BuiltComponent;
  traefik: BuiltComponent;
  localPathProvisioner: BuiltComponent;
  criTools: BuiltComponent;
  pause: string;
}

/** Every program the cluster runs, built from the Go module proxy on first use (then cached). */
export async function ensurePrograms(
  log: (line: string) => void,
): Promise<Programs> {
  const build = (component: Parameters<typeof recipeOf>[0]) =>
    ensureGoComponent(recipeOf(component), log);
  return {
    kubernetes: await build('kubernetes'),
    etcd: await build('etcd'),
    coredns: await build('coredns'),
    traefik: await build('traefik'),
    localPathProvisioner: await build('localPathProvisioner'),
    criTools: await build('criTools'),
    pause: await ensurePause(log),
  };
}

export const kubectlOf = (programs: Programs) =>
  new Kubectl(programs.kubernetes.binaries.kubectl);

async function waitFor(
  what: string,
  attempt: () => Promise<unknown>,
  timeoutMs: number,
  failure: () => string,
) {
  const started = performance.now();
  let lastError = '';
  while (performance.now() - started < timeoutMs) {
    try {
      await attempt();
      return performance.now() - started;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await sleep(500);
  }
  throw new Error(
    `${what} not ready after ${timeoutMs / 1000} s: ${lastError}\n${failure()}`,
  );
}

function writeConfigFiles(): void {
  for (const directory of [
    PATHS.config,
    PATHS.cniConfig,
    PATHS.cniIpam,
    PATHS.volumes,
    PATHS.kubeletRoot,
  ])
    mkdirSync(directory, { recursive: true });
  const files: Record<string, string> = {
    [join(PATHS.config, 'kubeadm.yaml')]: kubeadmConfig(),
    [join(PATHS.config, 'containerd.toml')]: containerdConfig(),
    [join(PATHS.config, 'kubelet.yaml')]: kubeletConfig(),
    [join(PATHS.config, 'kube-proxy.yaml')]: kubeProxyConfig(),
    [join(PATHS.config, 'resolv.conf')]: resolvConf(),
    [join(PATHS.cniConfig, '10-what-survives.conflist')]: cniConfig(),
  };
  for (const [file, content] of Object.entries(files))
    writeFileSync(file, content);
}

/** The PKI and every kubeconfig, made by kubeadm's own phases (once per cluster folder). */
async function makePki(kubeadm: string): Promise<void> {
  if (existsSync(PATHS.adminKubeconfig)) return;
  const config = join(PATHS.config, 'kubeadm.yaml');
  await shAsync(kubeadm, ['init', 'phase', 'certs', 'all', '--config', config]);
  await shAsync(kubeadm, [
    'init',
    'phase',
    'kubeconfig',
    'all',
    '--config',
    config,
    '--kubeconfig-dir',
    PATHS.kubeconfigs,
  ]);
  // kube-proxy runs as a node process here (kubeadm runs it as a DaemonSet): a client
  // certificate for the user the built-in system:node-proxier binding names.
  const proxy = await shAsync(kubeadm, [
    'kubeconfig',
    'user',
    '--config',
    config,
    '--client-name',
    'system:kube-proxy',
  ]);
  writeFileSync(join(PATHS.kubeconfigs, 'kube-proxy.conf'), proxy, {
    mode: 0o600,
  });
}

async function bootNode(
  programs: Programs,
  log: (line: string) => void,
): Promise<void> {
  const k8s = programs.kubernetes.binaries;
  const kubectl = kubectlOf(programs);
  const hostState = recordHostState(ROOT);
  createNodeNetwork();
  createNodeMountNamespace(hostState);
  writeConfigFiles();
  await makePki(k8s.kubeadm);
  log(
    `node ${NODE.name}: network namespace ${NODE.netns} at ${NODE.address}, PKI and kubeconfigs in ${PATHS.root}`,
  );

  await startNodeProcess('etcd', programs.etcd.binaries.etcd, etcdArgs());
  await startNodeProcess(
    'kube-apiserver',
    k8s['kube-apiserver'],
    apiServerArgs(),
  );
  const apiMs = await waitFor(
    'kube-apiserver',
    () =>
      kubectl
        .asSuperAdmin()
        .run(['get', '--raw', '/readyz'], { timeoutMs: 5000 }),
    90_000,
    () =>
      `kube-apiserver log:\n${logTail('kube-apiserver')}\netcd log:\n${logTail('etcd')}`,
  );
  log(`API server ready in ${(apiMs / 1000).toFixed(1)} s`);
  await kubectl.asSuperAdmin().apply(CLUSTER_ADMINS_BINDING);

  await startNodeProcess(
    'kube-controller-manager',
    k8s['kube-controller-manager'],
    controllerManagerArgs(),
  );
  await startNodeProcess(
    'kube-scheduler',
    k8s['kube-scheduler'],
    schedulerArgs(),
  );
  await startNodeProcess('containerd', '/usr/bin/containerd', [
    '--config',
    join(PATHS.config, 'containerd.toml'),
  ]);
  await waitFor(
    'containerd',
    async () =>
      sh(...inNode('ctr', ['--address', PATHS.containerdSocket, 'version'])),
    30_000,
    () => logTail('containerd'),
  );
  await startNodeProcess('kubelet', k8s.kubelet, kubeletArgs());
  await startNodeProcess('kube-proxy', k8s['kube-proxy'], [
    `--config=${join(PATHS.config, 'kube-proxy.yaml')}`,
  ]);
}

/** The images, built while the control plane starts, imported once containerd is there. */
async function buildImages(
  programs: Programs,
  log: (line: string) => void,
): Promise<string[]> {
  const podman = clusterPodman();
  const platform = await buildPlatformImages(
    podman,
    {
      pause: programs.pause,
      coredns: programs.coredns.binaries.coredns,
      traefik: programs.traefik.binaries.traefik,
      localPathProvisioner:
        programs.localPathProvisioner.binaries['local-path-provisioner'],
    },
    log,
  );
  const apps = await buildAppImages(podman, log);
  return [...platform, ...apps];
}

const importedImagesFile = () => join(PATHS.images, 'imported.json');

/** image name → podman image id, as last imported into this cluster's containerd. */
function importedImageIds(): Record<string, string> {
  return existsSync(importedImagesFile())
    ? JSON.parse(readFileSync(importedImagesFile(), 'utf8'))
    : {};
}

async function recordImportedImageIds(
  names: string[],
): Promise<Record<string, string>> {
  const podman = clusterPodman();
  const ids = Object.fromEntries(
    await Promise.all(
      names.map(async (name) => [name, await imageId(podman, name)]),
    ),
  );
  writeFileSync(importedImagesFile(), `${JSON.stringify(ids, null, 2)}\n`);
  return ids;
}

export interface UpResult {
  seconds: { programs: number; node: number; total: number };
  kubeconfig: string;
  entryPoint: string;
}

/**
 * `npm run cluster -- up`: the node, the control plane, the images, the addons, then
 * k8s/overlays/dev applied as a user applies it; resolves when every pod is ready.
 */
export async function up(log: (line: string) => void): Promise<UpResult> {
  const started = performance.now();
  const programs = await ensurePrograms(log);
  const programsSeconds = (performance.now() - started) / 1000;
  const kubectl = kubectlOf(programs);
  const images = buildImages(programs, log);
  images.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
  if (isRunning()) {
    log(`the cluster is already running (${PATHS.root}); applying again`);
  } else {
    if (recordedProcesses().length || nodeIsPresent()) {
      log(
        'a previous cluster was not stopped cleanly: stopping what is left of it first',
      );
      await down(log, { keepHostState: true });
    }
    await bootNode(programs, log);
  }
  const imported = importedImageIds();
  const built = await images;
  await importImages(clusterPodman(), built, log);
  const nowImported = await recordImportedImageIds(built);
  const nodeMs = await waitFor(
    `node ${NODE.name}`,
    () =>
      kubectl.run([
        'wait',
        '--for=condition=Ready',
        `node/${NODE.name}`,
        '--timeout=5s',
      ]),
    120_000,
    () => `kubelet log:\n${logTail('kubelet')}`,
  );
  log(`node ${NODE.name} Ready (${(nodeMs / 1000).toFixed(1)} s)`);

  await kubectl.apply(await traefikCustomResourceDefinitions());
  for (const addon of ADDONS) await kubectl.apply(renderAddon(addon));
  for (const namespace of ['kube-system', 'local-path-storage', 'traefik'])
    await waitForRollout(kubectl, namespace, {
      timeoutMs: 120_000,
      progress: log,
    });
  log(
    'addons ready: CoreDNS, local-path-provisioner (StorageClass standard), Traefik',
  );

  generateDevSecrets(DEV_SECRETS_DIR);
  await kubectl.run(['apply', '-k', OVERLAY]);
  await restartIfImagesChanged(kubectl, imported, nowImported, log);
  const rolloutMs = await waitForRollout(kubectl, APP_NAMESPACE, {
    progress: log,
  });
  log(`k8s/overlays/dev rolled out in ${(rolloutMs / 1000).toFixed(1)} s`);
  const nodeSeconds = (performance.now() - started) / 1000 - programsSeconds;
  return {
    seconds: {
      programs: programsSeconds,
      node: nodeSeconds,
      total: (performance.now() - started) / 1000,
    },
    kubeconfig: PATHS.adminKubeconfig,
    entryPoint: ENTRY_POINT_URL,
  };
}

/**
 * The Deployments name `:latest` images, so a rebuilt image reaches only pods created after its
 * import: when `up` runs against a running cluster and an app's image id changed since the last
 * import, restart the workloads that run it (what skaffold does by tagging every build anew).
 */
async function restartIfImagesChanged(
  kubectl: Kubectl,
  before: Record<string, string>,
  after: Record<string, string>,
  log: (line: string) => void,
): Promise<void> {
  const workloads = new Map<string, string[]>();
  for (const { name, image } of DEPLOYMENTS)
    workloads.set(appImage(image), [
      ...(workloads.get(appImage(image)) ?? []),
      name,
    ]);
  for (const [image, deployments] of workloads) {
    if (!before[image] || before[image] === after[image]) continue;
    for (const deployment of deployments) {
      log(
        `${deployment}: ${image} was rebuilt; kubectl rollout restart deployment/${deployment}`,
      );
      await kubectl.run([
        '-n',
        APP_NAMESPACE,
        'rollout',
        'restart',
        `deployment/${deployment}`,
      ]);
    }
  }
}

/** Processes started by this cluster's containerd (shims) that outlived it. */
function leftoverShims(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (
        argv[0]?.includes('containerd-shim') &&
        argv.includes(PATHS.containerdSocket)
      )
        pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * `npm run cluster -- down`: stops every pod and program the cluster started, then puts the
 * machine back as it was (mounts, namespaces, cgroups, kernel settings). Safe to run twice.
 */
export async function down(
  log: (line: string) => void,
  options: { keepHostState?: boolean } = {},
): Promise<string[]> {
  await stopNodeProcess('kubelet');
  if (runningProcess('containerd')) {
    const crictl = (await ensurePrograms(() => undefined)).criTools.binaries
      .crictl;
    try {
      // As `kubeadm reset` does: every pod sandbox stopped (network torn down) and removed.
      sh(
        ...inNode(crictl, [
          '--runtime-endpoint',
          `unix://${PATHS.containerdSocket}`,
          'rmp',
          '--all',
          '--force',
        ]),
      );
    } catch (error) {
      log(`crictl rmp: ${(error as Error).message}`);
    }
  }
  for (const name of [
    'kube-proxy',
    'kube-scheduler',
    'kube-controller-manager',
    'kube-apiserver',
    'etcd',
    'containerd',
  ])
    await stopNodeProcess(name);
  for (const pid of leftoverShims()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  removeKubeletCgroups(log);
  restoreHost(log);
  const left = hostLeftovers();
  // The cluster's data (etcd, containerd's images, volumes, PKI) goes; the logs stay for a look.
  // Never while something is still mounted under it: rm would reach into the mount.
  if (
    existsSync(PATHS.root) &&
    !left.some((item) => item.startsWith('mount '))
  ) {
    for (const entry of readdirSync(PATHS.root)) {
      if (entry === 'logs') continue;
      if (options.keepHostState && entry === 'host-state.json') continue;
      rmSync(join(PATHS.root, entry), { recursive: true, force: true });
    }
  }
  return left;
}

export interface Status {
  processes: Array<{ name: string; pid?: number; running: boolean }>;
  hostState?: ReturnType<typeof readHostState>;
  nodePresent: boolean;
}

export function status(): Status {
  return {
    processes: NODE_PROCESSES.map((name) => {
      const running = runningProcess(name);
      return { name, pid: running?.pid, running: !!running };
    }),
    hostState: readHostState(),
    nodePresent: nodeIsPresent(),
  };
}

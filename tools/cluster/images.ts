import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { BUILT_APPS, ROOT } from '../build/ensure-built';
import { appBuildArgs, Podman, writeContainersConf } from '../image/podman';
import {
  ensureStandInBase,
  nodeImageOf,
  parseNodeImage,
} from '../image/stand-in-base';
import { CACHE_ROOT, IMAGES } from './components';
import { PATHS } from './layout';
import { inNode, sh, succeeds } from './shell';

/** What every image made here says about itself: it was made on this machine, not pulled. */
const STAND_IN_LABEL = 'what-survives.stand-in';

/** The tag the manifests' untagged `what-survives/<app>` resolves to (kubelet: docker.io, latest). */
export const appImage = (app: string) =>
  `docker.io/what-survives/${app}:latest`;

/** Redis: the name the StatefulSet asks for; the program is Debian's redis-server. */
export function redisImageOf(statefulSetYaml: string): string {
  const match = /^\s+image:\s*(redis:\S+)/m.exec(statefulSetYaml);
  if (!match)
    throw new Error(
      'k8s/base/redis/statefulset.yaml names no redis:<tag> image',
    );
  return `docker.io/library/${match[1]}`;
}

/** A short image name as the kubelet (and Docker) expands it: `a/b:t` → `docker.io/a/b:t`. */
export function qualifiedImageName(name: string): string {
  const first = name.split('/')[0];
  const hasRegistry =
    name.includes('/') &&
    (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return name;
  return `docker.io/${name.includes('/') ? name : `library/${name}`}`;
}

export function clusterPodman(): Podman {
  return new Podman(writeContainersConf(join(CACHE_ROOT, 'podman')));
}

interface ScratchImage {
  name: string;
  /** source path on the host → path in the image */
  files: Array<[string, string]>;
  entrypoint?: string[];
  command?: string[];
  user?: string;
  environment?: Record<string, string>;
  /** Exec-form RUN steps (there is no shell in a scratch image). */
  run?: string[][];
  description: string;
}

/**
 * An image of a few static files on `scratch`: the upstream images of these programs are
 * (nearly) that too, and nothing here needs a base image we cannot pull.
 */
async function buildScratchImage(
  podman: Podman,
  image: ScratchImage,
): Promise<void> {
  const context = join(
    CACHE_ROOT,
    'cluster',
    'image-context',
    image.name.replace(/[/:]/g, '_'),
  );
  rmSync(context, { recursive: true, force: true });
  mkdirSync(context, { recursive: true });
  const lines = ['FROM scratch'];
  image.files.forEach(([source, target], index) => {
    const staged = `file-${index}`;
    copyFileSync(source, join(context, staged));
    lines.push(`COPY ${staged} ${target}`);
  });
  for (const step of image.run ?? []) lines.push(`RUN ${JSON.stringify(step)}`);
  for (const [name, value] of Object.entries(image.environment ?? {}))
    lines.push(`ENV ${name}=${value}`);
  if (image.user) lines.push(`USER ${image.user}`);
  if (image.entrypoint)
    lines.push(`ENTRYPOINT ${JSON.stringify(image.entrypoint)}`);
  if (image.command) lines.push(`CMD ${JSON.stringify(image.command)}`);
  lines.push(`LABEL ${STAND_IN_LABEL}=${JSON.stringify(image.description)}`);
  writeFileSync(join(context, 'Containerfile'), `${lines.join('\n')}\n`);
  await podman.must([
    'build',
    '--pull=never',
    '--network=none',
    '-q',
    '-t',
    image.name,
    context,
  ]);
}

/** A dynamically linked program and every library it loads, at their paths (ldd). */
function withLibraries(program: string): Array<[string, string]> {
  const libraries = sh('ldd', [program])
    .split('\n')
    .map((line) => /(\/\S+) \(0x/.exec(line)?.[1])
    .filter((path): path is string => !!path);
  return [program, ...libraries].map((path) => [path, path]);
}

export interface ProgramPaths {
  pause: string;
  coredns: string;
  traefik: string;
  localPathProvisioner: string;
}

/** The cluster's own images (pause, CoreDNS, Traefik, the provisioner and its helper, Redis). */
export async function buildPlatformImages(
  podman: Podman,
  programs: ProgramPaths,
  log: (line: string) => void,
): Promise<string[]> {
  const redis = redisImageOf(
    readFileSync(join(ROOT, 'k8s/base/redis/statefulset.yaml'), 'utf8'),
  );
  const redisServer = sh('sh', ['-c', 'command -v redis-server']).trim();
  const redisCli = sh('sh', ['-c', 'command -v redis-cli']).trim();
  const redisPrograms: Record<string, string> = {
    [redisServer]: '/usr/local/bin/redis-server',
    [redisCli]: '/usr/local/bin/redis-cli',
  };
  const redisVersion =
    /v=(\S+)/.exec(sh(redisServer, ['--version']))?.[1] ?? 'unknown';
  const busybox = '/bin/busybox';
  // Alone in a scratch image it must be the static build (Debian's busybox-static): ldd then
  // says "not a dynamic executable" and fails.
  if (succeeds('ldd', [busybox]))
    throw new Error(
      `${busybox} is dynamically linked: install busybox-static (not busybox)`,
    );
  const images: ScratchImage[] = [
    {
      name: IMAGES.pause,
      files: [[programs.pause, '/pause']],
      entrypoint: ['/pause'],
      user: '65535:65535',
      description: "Kubernetes' build/pause/linux/pause.c, compiled here",
    },
    {
      name: IMAGES.coredns,
      files: [[programs.coredns, '/coredns']],
      entrypoint: ['/coredns'],
      user: '65532:65532',
      description: 'CoreDNS built here from the Go module proxy',
    },
    {
      name: IMAGES.traefik,
      files: [[programs.traefik, '/usr/local/bin/traefik']],
      entrypoint: ['/usr/local/bin/traefik'],
      description: 'Traefik built here from the Go module proxy',
    },
    {
      name: IMAGES.localPathProvisioner,
      files: [
        [programs.localPathProvisioner, '/usr/bin/local-path-provisioner'],
      ],
      environment: { PATH: '/usr/bin:/bin' },
      command: ['local-path-provisioner'],
      description: 'local-path-provisioner built here from the Go module proxy',
    },
    {
      name: IMAGES.busybox,
      files: [[busybox, '/bin/busybox']],
      run: [['/bin/busybox', '--install', '-s', '/bin']],
      environment: { PATH: '/bin' },
      command: ['sh'],
      description:
        "Debian's busybox-static: the shell the provisioner's helper pods run",
    },
    {
      name: redis,
      // As in the upstream alpine image: redis-server and redis-cli in /usr/local/bin, and a
      // busybox shell (k8s/components/redis-sentinel's start and readiness scripts need both).
      files: [
        ...new Set(
          [...withLibraries(redisServer), ...withLibraries(redisCli)].map(
            ([path]) => path,
          ),
        ),
      ]
        .map((path): [string, string] => [path, redisPrograms[path] ?? path])
        .concat([[busybox, '/bin/busybox']]),
      run: [['/bin/busybox', '--install', '-s', '/bin']],
      environment: { PATH: '/usr/local/bin:/usr/bin:/bin' },
      command: ['redis-server'],
      description: `Debian's redis-server ${redisVersion} (with redis-cli and a busybox sh) standing in for ${redis} (no registry here)`,
    },
  ];
  for (const image of images) {
    await buildScratchImage(podman, image);
    log(`image ${image.name} (${image.description})`);
  }
  return images.map((image) => image.name);
}

/** The apps from the unchanged Dockerfile, exactly as `npm run test:image` builds them. */
export async function buildAppImages(
  podman: Podman,
  log: (line: string) => void,
): Promise<string[]> {
  const base = parseNodeImage(
    nodeImageOf(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')),
  );
  if ((await ensureStandInBase(podman, base, log)) === 'made')
    log(`made the stand-in base ${base.qualified}`);
  const logs = join(PATHS.logs, 'image-builds');
  mkdirSync(logs, { recursive: true });
  const names: string[] = [];
  for (const app of BUILT_APPS) {
    const started = performance.now();
    const result = await podman.stream(
      appBuildArgs(app, appImage(app)),
      join(logs, `${app}.log`),
    );
    if (result.code !== 0)
      throw new Error(
        `podman build --target ${app} failed (log: ${join(logs, `${app}.log`)})`,
      );
    log(
      `image ${appImage(app)} built in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    names.push(appImage(app));
  }
  return names;
}

/** podman's image id (the config digest): what containerd reports for the same image too. */
export async function imageId(podman: Podman, name: string): Promise<string> {
  return (
    await podman.must(['image', 'inspect', '--format', '{{.Id}}', name])
  ).trim();
}

/** `podman save` → `ctr -n k8s.io images import`: the kubelet finds them without any registry. */
export async function importImages(
  podman: Podman,
  names: string[],
  log: (line: string) => void,
): Promise<void> {
  mkdirSync(PATHS.images, { recursive: true });
  const archive = join(PATHS.images, 'images.tar');
  const started = performance.now();
  await podman.must([
    'save',
    '--format',
    'docker-archive',
    '--multi-image-archive',
    '-o',
    archive,
    ...names,
  ]);
  const [command, args] = inNode('ctr', [
    '--address',
    PATHS.containerdSocket,
    '-n',
    'k8s.io',
    'images',
    'import',
    archive,
  ]);
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  rmSync(archive, { force: true });
  log(
    `imported ${names.length} images into containerd in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
}

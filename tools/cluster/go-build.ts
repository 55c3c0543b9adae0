import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CACHE_ROOT, GO_ENVIRONMENT, VERSIONS } from './components';

const run = promisify(execFile);

/**
 * How one upstream program is built from the Go module proxy. Most of these modules cannot be
 * built with a plain `go install module@version`: they carry `replace` directives (Kubernetes
 * points its ~30 staging modules at ./staging/..., Traefik and skaffold swap forks in), which Go
 * ignores in a dependency. So each is built from a wrapper module of ours that requires the
 * upstream module and restates its replaces the way they resolve when published.
 */
export interface GoRecipe {
  /** The key in components.json. */
  component: keyof typeof VERSIONS;
  module: string;
  version: string;
  /** binary name → the main package that builds it */
  binaries: Record<string, string>;
  ldflags: string[];
  /**
   * An upstream `replace X => ./local/path`: the published module version that stands for the
   * local path, or undefined to drop it (the requirement's version is already right).
   */
  localReplacement?: (path: string) => string | undefined;
  /**
   * The checksum database this machine reaches has no entry for some versions the proxy serves
   * (a 404 from sum.golang.org/lookup): go then refuses the module. For those, the go.sum lines
   * are pinned here instead (recorded at the first download) and checked after every resolve.
   */
  pinnedSums?: string[];
}

const k8sMinor = (version: string) => version.replace(/^v1\./, 'v0.');

export const RECIPES: GoRecipe[] = [
  {
    component: 'kubernetes',
    module: 'k8s.io/kubernetes',
    version: VERSIONS.kubernetes,
    binaries: Object.fromEntries(
      [
        'kube-apiserver',
        'kube-controller-manager',
        'kube-scheduler',
        'kubelet',
        'kube-proxy',
        'kubectl',
        // Makes the cluster's PKI and kubeconfig files (`kubeadm init phase certs|kubeconfig`).
        'kubeadm',
      ].map((name) => [name, `k8s.io/kubernetes/cmd/${name}`]),
    ),
    ldflags: (() => {
      const [major, minor] = VERSIONS.kubernetes.slice(1).split('.');
      // Without these every binary reports v0.0.0 and kubectl warns about version skew.
      return [
        'k8s.io/component-base/version',
        'k8s.io/client-go/pkg/version',
      ].flatMap((pkg) => [
        `-X ${pkg}.gitVersion=${VERSIONS.kubernetes}`,
        `-X ${pkg}.gitMajor=${major}`,
        `-X ${pkg}.gitMinor=${minor}`,
        `-X ${pkg}.gitTreeState=clean`,
      ]);
    })(),
    // Each staging module is published as k8s.io/<name> v0.<minor>.<patch>.
    localReplacement: () => k8sMinor(VERSIONS.kubernetes),
  },
  {
    component: 'etcd',
    // The server module's root package is etcd's main.
    module: 'go.etcd.io/etcd/server/v3',
    version: VERSIONS.etcd,
    binaries: { etcd: 'go.etcd.io/etcd/server/v3' },
    ldflags: [],
  },
  {
    component: 'coredns',
    // The module's root package is CoreDNS's main, with every in-tree plugin (core/plugin).
    module: 'github.com/coredns/coredns',
    version: VERSIONS.coredns,
    binaries: { coredns: 'github.com/coredns/coredns' },
    ldflags: [
      `-X github.com/coredns/coredns/coremain.GitCommit=${VERSIONS.coredns}`,
    ],
  },
  {
    component: 'traefik',
    module: 'github.com/traefik/traefik/v3',
    version: VERSIONS.traefik,
    binaries: { traefik: 'github.com/traefik/traefik/v3/cmd/traefik' },
    ldflags: [
      `-X github.com/traefik/traefik/v3/pkg/version.Version=${VERSIONS.traefik}`,
    ],
  },
  {
    component: 'localPathProvisioner',
    module: 'github.com/rancher/local-path-provisioner',
    version: VERSIONS.localPathProvisioner,
    binaries: {
      'local-path-provisioner': 'github.com/rancher/local-path-provisioner',
    },
    ldflags: [`-X main.VERSION=${VERSIONS.localPathProvisioner}`],
  },
  {
    // crictl: what `down` uses to stop and remove every pod sandbox, as `kubeadm reset` does.
    component: 'criTools',
    module: 'sigs.k8s.io/cri-tools',
    version: VERSIONS.criTools,
    binaries: { crictl: 'sigs.k8s.io/cri-tools/cmd/crictl' },
    ldflags: [
      `-X sigs.k8s.io/cri-tools/pkg/version.Version=${VERSIONS.criTools}`,
    ],
  },
  {
    component: 'skaffold',
    module: 'github.com/GoogleContainerTools/skaffold/v2',
    version: VERSIONS.skaffold,
    binaries: {
      skaffold: 'github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold',
    },
    ldflags: [
      `-X github.com/GoogleContainerTools/skaffold/v2/pkg/skaffold/version.version=${VERSIONS.skaffold}`,
    ],
    // v2.19.0 is the first served release that reads skaffold/v4beta14 (skaffold.yaml).
    pinnedSums: [
      'github.com/GoogleContainerTools/skaffold/v2 v2.19.0 h1:qH0CVdT2qAT3PNCfbBXb8Rhb6H5tuWEyQOwK9VaePsE=',
      'github.com/GoogleContainerTools/skaffold/v2 v2.19.0/go.mod h1:U3LlcHr0bCVHKJR3jNNI9brvuM+m+vgiP1GhHJrgQDc=',
    ],
  },
];

export function recipeOf(component: GoRecipe['component']): GoRecipe {
  const recipe = RECIPES.find((candidate) => candidate.component === component);
  if (!recipe) throw new Error(`no Go recipe for ${component}`);
  return recipe;
}

/** The recipe in a hash: a changed flag or binary list builds anew, as a new version does. */
function recipeKey(recipe: GoRecipe, goVersion: string): string {
  const text = JSON.stringify({
    module: recipe.module,
    version: recipe.version,
    binaries: recipe.binaries,
    ldflags: recipe.ldflags,
    goVersion,
    environment: GO_ENVIRONMENT.CGO_ENABLED,
  });
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

async function go(
  args: string[],
  cwd: string,
  recipe?: GoRecipe,
): Promise<string> {
  const unverified = recipe?.pinnedSums ? { GONOSUMDB: recipe.module } : {};
  try {
    const { stdout } = await run('go', args, {
      cwd,
      env: { ...process.env, ...GO_ENVIRONMENT, ...unverified },
      maxBuffer: 256 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const failure = error as { stderr?: string; stdout?: string };
    // `go mod download -json` reports its error in the JSON on stdout.
    const stderr = String(failure.stderr || failure.stdout || '').trim();
    const detail = stderr.split('\n').slice(-8).join('\n');
    throw new Error(
      `go ${args.slice(0, 2).join(' ')} failed in ${cwd}:\n${detail}`,
      {
        cause: error,
      },
    );
  }
}

let goVersionCache: string | undefined;
export async function goVersion(): Promise<string> {
  goVersionCache ??= (await go(['env', 'GOVERSION'], process.cwd())).trim();
  return goVersionCache;
}

interface GoModJson {
  Go?: string;
  Replace?: Array<{
    Old: { Path: string; Version?: string };
    New: { Path: string; Version?: string };
  }>;
}

/** The wrapper's go.mod: require the upstream module, restate its replaces as published. */
async function writeWrapper(
  recipe: GoRecipe,
  directory: string,
): Promise<void> {
  mkdirSync(directory, { recursive: true });
  const download = JSON.parse(
    await go(
      ['mod', 'download', '-json', `${recipe.module}@${recipe.version}`],
      directory,
      recipe,
    ),
  ) as { GoMod: string; Error?: string };
  if (download.Error) throw new Error(download.Error);
  const upstream = JSON.parse(
    await go(['mod', 'edit', '-json', download.GoMod], directory),
  ) as GoModJson;
  const lines = [
    `// Generated by tools/cluster/go-build.ts: builds ${recipe.module} ${recipe.version}.`,
    `module what-survives.local/build/${recipe.component}`,
    '',
    `go ${upstream.Go ?? '1.24'}`,
    '',
    `require ${recipe.module} ${recipe.version}`,
    '',
  ];
  for (const { Old, New } of upstream.Replace ?? []) {
    const old = Old.Version ? `${Old.Path} ${Old.Version}` : Old.Path;
    if (New.Version) {
      lines.push(`replace ${old} => ${New.Path} ${New.Version}`);
      continue;
    }
    const published = recipe.localReplacement?.(New.Path);
    if (published) lines.push(`replace ${old} => ${Old.Path} ${published}`);
  }
  writeFileSync(join(directory, 'go.mod'), `${lines.join('\n')}\n`);
  // The classic tools.go: imports of main packages, excluded from every build by its tag, so
  // `go mod tidy` resolves exactly what these programs need.
  writeFileSync(
    join(directory, 'tools.go'),
    [
      '//go:build tools',
      '',
      'package tools',
      '',
      'import (',
      ...[...new Set(Object.values(recipe.binaries))].map(
        (pkg) => `\t_ "${pkg}"`,
      ),
      ')',
      '',
    ].join('\n'),
  );
  rmSync(join(directory, 'go.sum'), { force: true });
  await go(['mod', 'tidy'], directory, recipe);
  const sums = readFileSync(join(directory, 'go.sum'), 'utf8').split('\n');
  for (const pinned of recipe.pinnedSums ?? []) {
    const [path, version] = pinned.split(' ');
    const actual = sums.find((line) => line.startsWith(`${path} ${version} `));
    if (actual !== pinned)
      throw new Error(
        `${path} ${version}: go.sum says "${actual}", pinned "${pinned}": the module changed`,
      );
  }
}

/** Where a module's source sits in the module cache (downloaded if it is not there yet). */
export async function moduleDirectory(recipe: GoRecipe): Promise<string> {
  const download = JSON.parse(
    await go(
      ['mod', 'download', '-json', `${recipe.module}@${recipe.version}`],
      process.cwd(),
      recipe,
    ),
  ) as { Dir: string };
  return download.Dir;
}

export interface BuiltComponent {
  component: GoRecipe['component'];
  version: string;
  directory: string;
  /** binary name → absolute path */
  binaries: Record<string, string>;
  cached: boolean;
  seconds: number;
}

/** The directory a recipe's binaries live in; built (once per version and recipe) on demand. */
export async function ensureGoComponent(
  recipe: GoRecipe,
  log: (line: string) => void,
): Promise<BuiltComponent> {
  const started = performance.now();
  const key = recipeKey(recipe, await goVersion());
  const directory = join(
    CACHE_ROOT,
    'cluster',
    'bin',
    `${recipe.component}-${recipe.version}-${key}`,
  );
  const binaries = Object.fromEntries(
    Object.keys(recipe.binaries).map((name) => [name, join(directory, name)]),
  );
  const stamp = join(directory, 'built.json');
  const result = (cached: boolean): BuiltComponent => ({
    component: recipe.component,
    version: recipe.version,
    directory,
    binaries,
    cached,
    seconds: (performance.now() - started) / 1000,
  });
  if (
    existsSync(stamp) &&
    Object.values(binaries).every((file) => existsSync(file))
  )
    return result(true);

  log(
    `building ${recipe.module} ${recipe.version} (${Object.keys(recipe.binaries).join(', ')}) from the Go module proxy...`,
  );
  const source = join(
    CACHE_ROOT,
    'cluster',
    'src',
    `${recipe.component}-${recipe.version}`,
  );
  await writeWrapper(recipe, source);
  mkdirSync(directory, { recursive: true });
  for (const [name, pkg] of Object.entries(recipe.binaries)) {
    await go(
      [
        'build',
        '-trimpath',
        '-ldflags',
        ['-s', '-w', ...recipe.ldflags].join(' '),
        '-o',
        binaries[name],
        pkg,
      ],
      source,
      recipe,
    );
  }
  writeFileSync(
    stamp,
    `${JSON.stringify({ module: recipe.module, version: recipe.version, go: await goVersion(), builtAt: new Date().toISOString() }, null, 2)}\n`,
  );
  const built = result(false);
  log(
    `built ${recipe.component} ${recipe.version} in ${built.seconds.toFixed(0)} s → ${directory}`,
  );
  return built;
}

/**
 * The sandbox's PID 1, from the C source Kubernetes ships in its module (build/pause): what
 * holds every pod's namespaces. Static, so it runs alone in a scratch image.
 */
export async function ensurePause(
  log: (line: string) => void,
): Promise<string> {
  const kubernetes = recipeOf('kubernetes');
  const directory = join(
    CACHE_ROOT,
    'cluster',
    'bin',
    `pause-${VERSIONS.pause}`,
  );
  const binary = join(directory, 'pause');
  if (existsSync(binary)) return binary;
  const download = JSON.parse(
    await go(
      [
        'mod',
        'download',
        '-json',
        `${kubernetes.module}@${kubernetes.version}`,
      ],
      process.cwd(),
    ),
  ) as { Dir: string };
  const source = join(download.Dir, 'build', 'pause', 'linux', 'pause.c');
  if (!readFileSync(source, 'utf8').includes('pause.c'))
    throw new Error(`${source} is not Kubernetes' pause.c`);
  mkdirSync(directory, { recursive: true });
  log(`compiling pause ${VERSIONS.pause} from ${source}`);
  await run('gcc', [
    '-Os',
    '-Wall',
    '-Werror',
    '-static',
    `-DVERSION=v${VERSIONS.pause}-k8s-${kubernetes.version}`,
    '-o',
    binary,
    source,
  ]);
  return binary;
}

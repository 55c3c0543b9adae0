/**
 * Every program a command of this repository runs, how to find it and how to get it. Adding a
 * program is one entry: `onPath(command, how)` for a command on the PATH, `atFile(path, how)`
 * for a file at a fixed place (an environment variable may point elsewhere).
 */
export interface Program {
  /** A command looked up on the PATH, or a file at a fixed place (a library: not executable). */
  find: { command: string } | { file: string; env?: string; library?: boolean };
  /** The oldest version that works: read from `versionArgs`' output (its first x.y[.z]). */
  minimum?: string;
  versionArgs?: string[];
  /** The Debian/Ubuntu package that provides it (the preflight installs it with apt-get). */
  debian?: string;
  /** The Homebrew formula (`--cask name` for a cask). */
  brew?: string;
  /** How to get it where no package above applies. */
  manual?: string;
}

type How = Omit<Program, 'find'>;

const onPath = (command: string, how: How): Program => ({
  find: { command },
  ...how,
});
type AtFile = Program & {
  find: { file: string; env?: string; library?: boolean };
};

const atFile = (file: string, env: string | undefined, how: How): AtFile => ({
  find: { file, env },
  ...how,
});
const library = (file: string, how: How): AtFile => ({
  find: { file, library: true },
  ...how,
});

// One program per line: adding one is adding a line.
// prettier-ignore
export const PROGRAMS = {
  'redis-server': onPath('redis-server', { debian: 'redis-server', brew: 'redis' }),
  chromium: atFile('/usr/bin/chromium', 'CHROMIUM_PATH', { debian: 'chromium', brew: '--cask chromium' }),
  kubectl: onPath('kubectl', { minimum: '1.30', versionArgs: ['version', '--client'], brew: 'kubectl', manual: 'not a Debian package: get the release binary, https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/' }),
  podman: onPath('podman', { debian: 'podman', brew: 'podman' }),
  runc: onPath('runc', { debian: 'runc', manual: 'Linux only, no Homebrew formula' }),
  debootstrap: onPath('debootstrap', { debian: 'debootstrap', manual: 'Linux only, no Homebrew formula' }),
  // The real cluster (npm run cluster, npm run test:cluster): Linux as root only.
  go: onPath('go', { minimum: '1.26.2', versionArgs: ['version'], manual: 'Go 1.26.2 or newer (skaffold v2.19 needs it): https://go.dev/dl/ (Debian bookworm\'s golang-go is too old)' }),
  gcc: onPath('gcc', { debian: 'gcc', manual: 'Linux only: compiles the pause container' }),
  'static libc': library('/usr/lib/x86_64-linux-gnu/libc.a', { debian: 'libc6-dev', manual: 'Linux only: links the static pause binary' }),
  containerd: onPath('containerd', { debian: 'containerd', manual: 'Linux only, no Homebrew formula' }),
  ctr: onPath('ctr', { debian: 'containerd', manual: 'Linux only, no Homebrew formula' }),
  'CNI plugins': atFile('/usr/lib/cni/bridge', undefined, { debian: 'containernetworking-plugins', manual: 'Linux only, no Homebrew formula' }),
  iptables: onPath('iptables', { debian: 'iptables', manual: 'Linux only, no Homebrew formula' }),
  ip: onPath('ip', { debian: 'iproute2', manual: 'Linux only, no Homebrew formula' }),
  nsenter: onPath('nsenter', { debian: 'util-linux', manual: 'Linux only, no Homebrew formula' }),
  busybox: atFile('/bin/busybox', undefined, { debian: 'busybox-static', manual: 'Linux only: the provisioner helper pods\' shell' }),
} satisfies Record<string, Program>;

/** What `npm run cluster -- up` runs or builds with, on the host. */
export const CLUSTER_PROGRAMS = [
  'go',
  'gcc',
  'static libc',
  'containerd',
  'ctr',
  'runc',
  'CNI plugins',
  'iptables',
  'ip',
  'nsenter',
  'podman',
  'debootstrap',
  'busybox',
  'redis-server',
] as const satisfies readonly (keyof typeof PROGRAMS)[];

export type ProgramName = keyof typeof PROGRAMS;

/** Where a program given by file is expected: its environment variable, else its default. */
export function fileOf(
  find: { file: string; env?: string },
  env: NodeJS.ProcessEnv = process.env,
): string {
  return (find.env && env[find.env]) || find.file;
}

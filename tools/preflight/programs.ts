/**
 * Every program a command of this repository runs, how to find it and how to get it. Adding a
 * program is one entry: `onPath(command, how)` for a command on the PATH, `atFile(path, how)`
 * for a file at a fixed place (an environment variable may point elsewhere).
 */
export interface Program {
  /** A command looked up on the PATH, or a file at a fixed place. */
  find: { command: string } | { file: string; env?: string };
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
type AtFile = Program & { find: { file: string; env?: string } };

const atFile = (file: string, env: string | undefined, how: How): AtFile => ({
  find: { file, env },
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
} satisfies Record<string, Program>;

export type ProgramName = keyof typeof PROGRAMS;

/** Where a program given by file is expected: its environment variable, else its default. */
export function fileOf(
  find: { file: string; env?: string },
  env: NodeJS.ProcessEnv = process.env,
): string {
  return (find.env && env[find.env]) || find.file;
}

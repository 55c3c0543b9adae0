import { execFileSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileOf, type Program } from './programs';

/** What the preflight found of one program. */
export interface Finding {
  name: string;
  program: Program;
  state: 'found' | 'missing' | 'too-old';
  /** Where it is (found, too old) or was looked for (a file). */
  path?: string;
  /** The version it reported, when it has a minimum. */
  version?: string;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `command -v`, without a shell: the first executable of that name on `PATH`. */
export function which(
  command: string,
  path = process.env.PATH ?? '',
): string | undefined {
  return path
    .split(delimiter)
    .filter(Boolean)
    .map((directory) => join(directory, command))
    .find(isExecutableFile);
}

/** The first `x.y[.z]` in a program's version output: `Client Version: v1.32.4` → `1.32.4`. */
export function parseVersion(output: string): string | undefined {
  return /(\d+)\.(\d+)(?:\.(\d+))?/.exec(output)?.[0];
}

/** True when `version` is at least `minimum`, comparing numbers part by part. */
export function isAtLeast(version: string, minimum: string): boolean {
  const parts = (text: string) => text.split('.').map(Number);
  const [have, need] = [parts(version), parts(minimum)];
  for (let index = 0; index < need.length; index++) {
    const difference = (have[index] ?? 0) - need[index];
    if (difference !== 0) return difference > 0;
  }
  return true;
}

function versionOf(path: string, args: string[]): string | undefined {
  try {
    return parseVersion(
      execFileSync(path, args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 10_000,
      }),
    );
  } catch (error) {
    // Some programs print their version and exit non-zero (no config, no server): read it anyway.
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    return parseVersion(`${stdout ?? ''}${stderr ?? ''}`);
  }
}

/** Looks for one program on this machine (and asks its version when it has a minimum). */
export function detect(
  name: string,
  program: Program,
  env: NodeJS.ProcessEnv = process.env,
): Finding {
  const { find } = program;
  const path =
    'command' in find
      ? which(find.command, env.PATH)
      : (find.library ? isFile : isExecutableFile)(fileOf(find, env))
        ? fileOf(find, env)
        : undefined;
  if (!path)
    return {
      name,
      program,
      state: 'missing',
      path: 'file' in find ? fileOf(find, env) : undefined,
    };
  if (!program.minimum) return { name, program, state: 'found', path };
  const version = versionOf(path, program.versionArgs ?? ['--version']);
  const recent = version !== undefined && isAtLeast(version, program.minimum);
  return { name, program, state: recent ? 'found' : 'too-old', path, version };
}

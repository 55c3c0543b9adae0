import { execFile, execFileSync } from 'node:child_process';
import { NODE, PATHS } from './layout';

/** A command that failed, with the program's own last words (not a stack of ours). */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
    readonly code: number | null,
  ) {
    const said = stderr
      .trim()
      .split('\n')
      .filter(Boolean)
      .slice(-3)
      .join(' | ');
    super(
      `${command} failed${code === null ? '' : ` (exit ${code})`}: ${said || 'no output'}`,
    );
  }
}

const describe = (command: string, args: string[]) =>
  [command, ...args.slice(0, 3)].join(' ');

/** Runs a command to completion; its stdout, or a CommandError. */
export function sh(
  command: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): string {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      input: options.input,
      env: options.env ?? process.env,
      cwd: options.cwd,
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch (error) {
    const failure = error as {
      stderr?: string;
      status?: number | null;
      message: string;
    };
    throw new CommandError(
      describe(command, args),
      failure.stderr || failure.message,
      failure.status ?? null,
    );
  }
}

/** As `sh`, without blocking the event loop (image builds, waits on the API server). */
export function shAsync(
  command: string,
  args: string[],
  options: {
    input?: string;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    timeoutMs?: number;
  } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        encoding: 'utf8',
        env: options.env ?? process.env,
        cwd: options.cwd,
        timeout: options.timeoutMs,
        maxBuffer: 256 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = typeof error.code === 'number' ? error.code : null;
        reject(
          new CommandError(
            describe(command, args),
            stderr || error.message,
            code,
          ),
        );
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** True when `sh` would succeed; for probes ("does this netns exist?"). */
export function succeeds(command: string, args: string[]): boolean {
  try {
    sh(command, args);
    return true;
  } catch {
    return false;
  }
}

/**
 * A command inside the node: its network namespace and its mount namespace. nsenter execs the
 * program after joining them (no fork), so the pid of the spawned process is the program's own.
 */
export function inNode(command: string, args: string[]): [string, string[]] {
  return [
    'nsenter',
    [
      `--net=/run/netns/${NODE.netns}`,
      `--mount=${PATHS.mountNamespace}`,
      '--',
      command,
      ...args,
    ],
  ];
}

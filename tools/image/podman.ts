import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../build/ensure-built';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The last non-empty line of a command's error output: what podman/runc says went wrong. */
export const lastLine = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((line) => line.trim())
    .at(-1) ?? '';

/**
 * Resource limits runc may set without CAP_SYS_RESOURCE (these sandboxes drop it): podman's
 * defaults raise nofile and nproc above what this process may grant, and runc then refuses to
 * start any container ("error setting rlimit type 7: operation not permitted"). Never above the
 * host's own hard limits.
 */
export function containerUlimits(limitsText: string): string[] {
  const hard = (name: string) => {
    const line = limitsText.split('\n').find((row) => row.startsWith(name));
    const value = line?.trim().split(/\s{2,}/)[2];
    return value === undefined || value === 'unlimited'
      ? Infinity
      : Number(value);
  };
  const nofile = Math.min(16384, hard('Max open files'));
  const nproc = Math.min(4096, hard('Max processes'));
  return [`nofile=${nofile}:${nofile}`, `nproc=${nproc}:${nproc}`];
}

/**
 * A containers.conf of our own (CONTAINERS_CONF points podman at it), so the machine's global
 * configuration is never touched: runc rather than crun (crun fails on these hosts' hybrid
 * cgroups), and ulimits that runc can apply.
 */
export function writeContainersConf(
  directory: string,
  options: { volumes?: string[] } = {},
): string {
  mkdirSync(directory, { recursive: true });
  const file = join(directory, 'containers.conf');
  const ulimits = containerUlimits(readFileSync('/proc/self/limits', 'utf8'));
  writeFileSync(
    file,
    [
      '# Written by tools/image (npm run test:image); used through CONTAINERS_CONF only.',
      '[containers]',
      `default_ulimits = [${ulimits.map((limit) => JSON.stringify(limit)).join(', ')}]`,
      // Mounted into every container, RUN steps of builds included (what a build through
      // podman's Docker API, which takes no --volume, needs to see the host's CA bundle).
      ...(options.volumes?.length
        ? [
            `volumes = [${options.volumes.map((volume) => JSON.stringify(volume)).join(', ')}]`,
          ]
        : []),
      '',
      '[engine]',
      'runtime = "runc"',
      '',
    ].join('\n'),
  );
  return file;
}

/** podman with our containers.conf; results, never throws on a non-zero exit. */
export class Podman {
  constructor(private readonly configFile: string) {}

  private environment(extra: Record<string, string> = {}) {
    return { ...process.env, CONTAINERS_CONF: this.configFile, ...extra };
  }

  run(
    args: string[],
    options: { env?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<CommandResult> {
    return new Promise((resolve) => {
      execFile(
        'podman',
        args,
        {
          env: this.environment(options.env),
          maxBuffer: 64 * 1024 * 1024,
          timeout: options.timeoutMs ?? 120_000,
          encoding: 'utf8',
        },
        (error, stdout, stderr) => {
          const code =
            error === null
              ? 0
              : typeof error.code === 'number'
                ? error.code
                : 1;
          resolve({
            code,
            stdout,
            stderr: stderr || (error && code !== 0 ? error.message : ''),
          });
        },
      );
    });
  }

  /** As `run`, but a failure throws with podman's own last line of explanation. */
  async must(args: string[], options?: { env?: Record<string, string> }) {
    const result = await this.run(args, options);
    if (result.code !== 0)
      throw new Error(
        `podman ${args[0]} failed: ${lastLine(result.stderr) || `exit ${result.code}`}`,
      );
    return result.stdout;
  }

  /** A long command (image builds) with its output streamed into a log file. */
  stream(
    args: string[],
    logFile: string,
    input?: NodeJS.ReadableStream,
  ): Promise<CommandResult> {
    return new Promise((resolve) => {
      const child = spawn('podman', args, {
        env: this.environment(),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let output = '';
      const keep = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.length > 1_000_000) output = output.slice(-500_000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      if (input) input.pipe(child.stdin);
      else child.stdin.end();
      child.on('close', (code) => {
        writeFileSync(logFile, output);
        resolve({ code: code ?? 1, stdout: output, stderr: output });
      });
    });
  }
}

/** The host's CA bundle, for `npm ci` in the build where TLS to the registry is intercepted. */
export function hostCaBundle(): string | undefined {
  return [
    process.env.NODE_EXTRA_CA_CERTS,
    '/etc/ssl/certs/ca-certificates.crt',
  ].find((file) => file && existsSync(file));
}

/**
 * `podman build` of one app's target of the unchanged Dockerfile, as every image here is built:
 * never pulling (the base is a local stand-in), the host's CA bundle mounted for `npm ci`.
 */
export function appBuildArgs(app: string, tag: string): string[] {
  const ca = hostCaBundle();
  return [
    'build',
    '--pull=never',
    '--target',
    app,
    '--tag',
    tag,
    ...(ca
      ? [
          '--volume',
          `${dirname(ca)}:/ca:ro`,
          '--build-arg',
          `NODE_EXTRA_CA_CERTS=/ca/${ca.split('/').at(-1)}`,
        ]
      : []),
    '--file',
    join(ROOT, 'Dockerfile'),
    ROOT,
  ];
}

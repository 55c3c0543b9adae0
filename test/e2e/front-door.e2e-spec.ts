import { spawn } from 'node:child_process';
import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from '../../tools/preflight/detect';

const ROOT = join(__dirname, '..', '..');

/**
 * A PATH of the test's own: a directory of symlinks to node, npm and sh and nothing else, so
 * the entry point cannot find the machine's redis-server (or kubectl, podman...) by accident.
 */
function bareBin(): string {
  const bin = mkdtempSync(join(tmpdir(), 'what-survives-bare-path-'));
  const programs: Record<string, string | undefined> = {
    node: process.execPath,
    npm: which('npm'),
    sh: which('sh'),
  };
  for (const [name, target] of Object.entries(programs))
    if (target) symlinkSync(target, join(bin, name));
  return bin;
}

/** Every process whose PATH is exactly `bin`: the entry point and every pod it started. */
function processesWithPath(bin: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1')
          .split('\0')
          .includes(`PATH=${bin}`);
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    })
    .map(Number);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs an entry point as npm runs it (`node --import tsx <file>`) with only `bin` on the PATH. */
function runEntryPoint(
  file: string,
  bin: string,
  args: string[] = [],
): Promise<Run> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: ROOT,
    env: {
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      PATH: bin,
      LAB_NO_INSTALL: '1',
      LAB_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        seconds: (performance.now() - started) / 1000,
      });
    }),
  );
}

const STACK_TRACE = /^\s+at /m;
const REDIS_REMEDY =
  'install it with: (apt-get install redis-server|brew install redis)';

describe('the front door on a machine without the programs it needs', () => {
  let bin: string;

  beforeEach(() => {
    bin = bareBin();
    // The guard this test stands on: nothing on its PATH is a redis-server.
    expect(which('redis-server', bin)).toBeUndefined();
  });
  afterEach(() => rmSync(bin, { recursive: true, force: true }));

  it.each([
    ['npm start', 'tools/lab/main.ts', []],
    ['npm run experiment', 'tools/experiment/main.ts', ['--quick']],
    ['npm run bench', 'tools/bench/main.ts', ['--quick']],
  ])(
    '%s without redis-server, LAB_NO_INSTALL=1: exits 1 at once with one line, no stack trace, nothing left running',
    async (command, file, args) => {
      const run = await runEntryPoint(file, bin, args);
      expect(run.stderr).toMatch(
        new RegExp(
          `^${command}: redis-server is not on the PATH; ${REDIS_REMEDY} \\(LAB_NO_INSTALL=1: not installing it here\\)\\n$`,
        ),
      );
      expect(run.code).toBe(1);
      expect(run.stdout).not.toMatch(/starting|booting|Hypothesis/);
      expect(`${run.stdout}${run.stderr}`).not.toMatch(STACK_TRACE);
      expect(run.seconds).toBeLessThan(15);
      expect(processesWithPath(bin)).toEqual([]);
    },
  );

  it('npm run test:image names every missing program in a line of its own', async () => {
    const run = await runEntryPoint('tools/image/main.ts', bin);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines.map((line) => line.split(';')[0])).toEqual([
      'npm run test:image: podman is not on the PATH',
      'npm run test:image: runc is not on the PATH',
      'npm run test:image: debootstrap is not on the PATH',
      'npm run test:image: redis-server is not on the PATH',
      'npm run test:image: kubectl is not on the PATH',
    ]);
    expect(lines[4]).toMatch(/not a Debian package: get the release binary/);
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });

  it('npm start with a redis-server that exits at once: one line naming the pod and the cause, every process stopped', async () => {
    writeFileSync(
      join(bin, 'redis-server'),
      '#!/bin/sh\necho "fake redis-server: cannot listen on its port (test)" >&2\nexit 1\n',
    );
    chmodSync(join(bin, 'redis-server'), 0o755);
    const run = await runEntryPoint('tools/lab/main.ts', bin);
    expect(run.stdout).toMatch(/starting the local stack/);
    expect(run.stderr).toBe(
      'npm start: pod redis-0 exited (code 1) before it was ready: fake redis-server: cannot listen on its port (test)\n',
    );
    expect(run.code).toBe(1);
    expect(run.seconds).toBeLessThan(30);
    expect(processesWithPath(bin)).toEqual([]);
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../tools/lab/free-port';
import { isAlive } from './support/processes';

const ROOT = join(__dirname, '..');
const { scripts } = JSON.parse(
  readFileSync(join(ROOT, 'package.json'), 'utf8'),
) as { scripts: Record<string, string> };

interface Pod {
  name: string;
  pid: number | null;
  ready: boolean;
}

/**
 * `npm run start:dev`: the local stack, rebuilt and restarted when a source under apps/ or libs/
 * changes, with every process of the old stack stopped first (no orphan keeps its port), and
 * everything stopped when the watcher is.
 */
describe('npm run start:dev', () => {
  let watcher: ChildProcess;
  let port: number;
  let log: string;
  const seen = new Set<number>();

  beforeAll(async () => {
    port = await freePort();
    log = join(
      mkdtempSync(join(tmpdir(), 'what-survives-start-dev-')),
      'out.log',
    );
    const out = openSync(log, 'w');
    // The script's own command line, run without npm's shell so the pid is the watcher's.
    const [command, ...args] = scripts['start:dev'].split(' ');
    expect(command).toBe('node');
    watcher = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        LAB_PORT: String(port),
        LAB_NO_INSTALL: '1',
        LAB_REPLICAS_AUTH: '1',
        LAB_REPLICAS_ORDER: '1',
        LAB_REPLICAS_CART: '1',
        LAB_REPLICAS_CART_LEGACY: '1',
      },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
  });

  afterAll(async () => {
    if (watcher && watcher.exitCode === null && watcher.signalCode === null) {
      const exited = new Promise((resolve) => watcher.once('exit', resolve));
      watcher.kill('SIGTERM');
      await Promise.race([exited, sleep(30_000)]);
      watcher.kill('SIGKILL');
    }
    for (const pid of seen) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  });

  async function pods(): Promise<Pod[] | undefined> {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/_lab/pods`);
      return response.ok ? ((await response.json()) as Pod[]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every pod of the stack ready, none of them one of `not` (pids). */
  async function readyStack(not: Set<number>): Promise<number[]> {
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      const listed = await pods();
      if (
        listed &&
        listed.length > 0 &&
        listed.every((pod) => pod.ready && pod.pid && !not.has(pod.pid))
      ) {
        const pids = listed.map((pod) => pod.pid as number);
        pids.forEach((pid) => seen.add(pid));
        return pids;
      }
      await sleep(250);
    }
    throw new Error(
      `no fresh ready stack on port ${port} within 180 s:\n${readFileSync(log, 'utf8').slice(-2000)}`,
    );
  }

  it('restarts the stack on a change under libs/, stops the old one, and stops with the watcher', async () => {
    const first = await readyStack(new Set());

    // Touched with its own times: the watcher sees the change (inotify's attribute event), but
    // the build stays fresh, so the restart does not rebuild dist/ under the specs running
    // beside this one (a rebuild there made another spec wait on a build and time out).
    const changed = join(ROOT, 'libs', 'platform', 'src', 'index.ts');
    const { atime, mtime } = statSync(changed);
    utimesSync(changed, atime, mtime);
    const second = await readyStack(new Set(first));

    expect(first.filter(isAlive)).toEqual([]);
    expect(readFileSync(log, 'utf8')).toMatch(/Restarting/);

    const exited = new Promise<number | null>((resolve) =>
      watcher.once('exit', (code) => resolve(code)),
    );
    watcher.kill('SIGTERM');
    await exited;
    // node --watch may exit before the lab has finished stopping its pods (they drain first):
    // every one must be gone within the drain and grace time, never left running.
    const deadline = performance.now() + 30_000;
    while (second.some(isAlive) && performance.now() < deadline)
      await sleep(250);
    expect(second.filter(isAlive)).toEqual([]);
  }, 420_000);
});

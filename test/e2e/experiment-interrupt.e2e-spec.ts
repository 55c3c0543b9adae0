import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = join(__dirname, '..', '..');

/** pid → [ppid, state] for every process, from /proc (a zombie is state Z: it is gone). */
function processTable(): Map<number, { ppid: number; state: string }> {
  const table = new Map<number, { ppid: number; state: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: read after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(entry), { ppid: Number(ppid), state });
    } catch {
      // Exited while we looked.
    }
  }
  return table;
}

function descendantsOf(root: number): number[] {
  const table = processTable();
  const found: number[] = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift() as number;
    for (const [pid, { ppid }] of table)
      if (ppid === parent) {
        found.push(pid);
        queue.push(pid);
      }
  }
  return found;
}

const alive = (pid: number) => {
  const state = processTable().get(pid)?.state;
  return state !== undefined && state !== 'Z';
};

/**
 * Ctrl-C on `npm run experiment`: the pods sit in process groups of their own (so the terminal's
 * SIGINT does not reach them); the experiment must take them down with it, Redis included.
 */
describe('npm run experiment interrupted', () => {
  it('leaves no pod or redis-server running after SIGINT', async () => {
    const out = mkdtempSync(join(tmpdir(), 'what-survives-reports-'));
    let started: number[] = [];
    const experiment = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'tools/experiment/main.ts',
        '--quick',
        '--scenario',
        'delete-pod',
        '--out',
        out,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let output = '';
      experiment.stdout.on('data', (chunk: Buffer) => (output += chunk));
      const deadline = Date.now() + 60_000;
      while (!output.includes('preparing') && Date.now() < deadline)
        await sleep(100);
      expect(output).toContain('preparing');

      started = descendantsOf(experiment.pid as number);
      // Redis and twelve app pods at least (quick: auth 2, order 2, cart 2, cart-legacy 3).
      expect(started.length).toBeGreaterThanOrEqual(10);

      const exited = new Promise<number | null>((resolve) =>
        experiment.once('exit', (code) => resolve(code)),
      );
      experiment.kill('SIGINT');
      expect(await exited).toBe(130);

      const settle = Date.now() + 5000;
      while (started.some(alive) && Date.now() < settle) await sleep(100);
      expect(started.filter(alive)).toEqual([]);
    } finally {
      if (experiment.exitCode === null) experiment.kill('SIGKILL');
      // Whatever the experiment left behind (only when the test fails): ours, by pid.
      for (const pid of started.filter(alive)) process.kill(pid, 'SIGKILL');
      rmSync(out, { recursive: true, force: true });
    }
  });
});

import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { turnBufferedDestination } from './log-destination';

const line = (n: number, padding = 0) =>
  `${JSON.stringify({ n, pad: 'x'.repeat(padding) })}\n`;

describe('turnBufferedDestination: one write per event-loop turn', () => {
  let directory: string;
  let file: string;
  let fd: number;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'log-destination-'));
    file = join(directory, 'out.log');
    fd = openSync(file, 'a');
  });
  afterEach(() => {
    closeSync(fd);
    rmSync(directory, { recursive: true, force: true });
  });

  it("holds a turn's lines until the turn ends, then writes them all, in order", async () => {
    const destination = turnBufferedDestination(fd);
    destination.write(line(1));
    destination.write(line(2));
    destination.write(line(3));
    expect(readFileSync(file, 'utf8')).toBe('');
    await nextTurn();
    expect(readFileSync(file, 'utf8')).toBe(line(1) + line(2) + line(3));
    destination.write(line(4));
    await nextTurn();
    expect(readFileSync(file, 'utf8')).toBe(
      line(1) + line(2) + line(3) + line(4),
    );
  });

  it('writes a burst past 8 KiB at once, without waiting for the end of the turn', () => {
    const destination = turnBufferedDestination(fd);
    for (let n = 0; n < 40; n++) destination.write(line(n, 300));
    expect(readFileSync(file, 'utf8').length).toBeGreaterThanOrEqual(8192);
    destination.flushSync();
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(41);
  });
});

/**
 * The app's real root logger in a process of its own, stdout a file as in a pod, ending in the
 * same turn as its last lines: what a normal exit keeps and what a SIGKILL loses.
 */
function runLogger(ending: string): { lines: string[]; signal: string | null } {
  const directory = mkdtempSync(join(tmpdir(), 'log-destination-'));
  const file = join(directory, 'pod.log');
  const fd = openSync(file, 'a');
  try {
    const script = `
      const { createRootLogger } = require(${JSON.stringify(join(__dirname, 'logging.ts'))});
      const logger = createRootLogger('spec');
      logger.info('earlier turn');
      setTimeout(() => {
        for (let n = 0; n < 5; n++) logger.info('last turn ' + n);
        ${ending};
      }, 20);
    `;
    const { signal } = spawnSync(
      process.execPath,
      ['--import', 'tsx', '-e', script],
      {
        stdio: ['ignore', fd, 'pipe'],
        env: { PATH: process.env.PATH, POD_NAME: 'spec-pod' },
        timeout: 20_000,
      },
    );
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((text) => (JSON.parse(text) as { msg: string }).msg);
    return { lines, signal };
  } finally {
    closeSync(fd);
    rmSync(directory, { recursive: true, force: true });
  }
}

describe('the root logger on stdout: what an exit keeps', () => {
  it('writes every line on process.exit, the last turn included', () => {
    expect(runLogger('process.exit(0)').lines).toEqual([
      'earlier turn',
      ...[0, 1, 2, 3, 4].map((n) => `last turn ${n}`),
    ]);
  });

  it('writes every line when an uncaught exception ends the process', () => {
    expect(runLogger('throw new Error("boom")').lines).toHaveLength(6);
  });

  it('loses to a SIGKILL the lines of the turn it lands in, and only those', () => {
    const { lines, signal } = runLogger('process.kill(process.pid, "SIGKILL")');
    expect(signal).toBe('SIGKILL');
    expect(lines).toEqual(['earlier turn']);
  });
});

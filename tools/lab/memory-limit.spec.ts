import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readRssBytes } from './memory-limit';
import type { PodInfo, PodTemplate } from './pod';
import { displayStatus, formatPodTable } from './pod-table';
import { httpProbe } from './probes';
import { Supervisor } from './supervisor';

const MiB = 2 ** 20;

/** A real server process; `GROW=1` makes it allocate 8 MiB every 50 ms, `EXIT=1` exit 0 at once. */
const SERVER = `
const http = require('node:http');
if (process.env.EXIT) process.exit(0);
const held = [];
if (process.env.GROW) setInterval(() => held.push(Buffer.alloc(8 * 1024 * 1024, 1)), 50);
http.createServer((req, res) => res.end()).listen(Number(process.env.PORT), '127.0.0.1');
`;

const template = (
  app: string,
  env: Record<string, string>,
  memoryLimitBytes?: number,
): PodTemplate => ({
  app,
  command: (_name, port) => ({
    file: process.execPath,
    args: ['-e', SERVER],
    env: { PORT: String(port), ...env },
  }),
  probe: (port) => httpProbe(port, '/'),
  memoryLimitBytes,
});

async function until<T>(
  read: () => T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(25);
  }
}

describe('the memory limit (OomWatcher): RSS over the limit is an OOM kill', () => {
  let logDirectory: string;
  let supervisor: Supervisor;
  beforeEach(() => {
    logDirectory = mkdtempSync(join(tmpdir(), 'oom-spec-'));
    supervisor = new Supervisor(logDirectory, () => undefined, 50);
  });
  afterEach(async () => {
    await supervisor.shutdown(1000);
    rmSync(logDirectory, { recursive: true, force: true });
  });

  it('reads VmRSS of a live process, nothing of a gone one', () => {
    expect(readRssBytes(process.pid)).toBeGreaterThan(10 * MiB);
    expect(readRssBytes(2 ** 22 + 1)).toBeUndefined();
  });

  it('SIGKILLs a process over its limit, restarts it in place, says OOMKilled', async () => {
    await supervisor.apply({
      kind: 'Deployment',
      replicas: 1,
      template: template('grower', { GROW: '1' }, 120 * MiB),
    });
    const [first] = await until(() => {
      const pods = supervisor.listPods('grower');
      return pods[0]?.pid ? pods : undefined;
    });
    expect(first.memoryLimitBytes).toBe(120 * MiB);
    const seen: string[] = [];
    const killed = await until(() => {
      const pod = supervisor.listPods('grower')[0];
      seen.push(displayStatus(pod));
      return pod.restarts > 0 ? pod : undefined;
    });
    expect(killed).toMatchObject({
      name: first.name,
      port: first.port,
      lastTermination: 'OOMKilled',
    });
    const log = readFileSync(join(logDirectory, `${first.name}.log`), 'utf8');
    expect(log).toMatch(
      new RegExp(
        `pid ${first.pid} exited \\(SIGKILL, OOMKilled: RSS \\d+ bytes over the limit of ${120 * MiB}\\)`,
      ),
    );
    // Sampled before the kill: under the limit, and growing towards it.
    expect(seen).toContain('Running');
  }, 30_000);

  it('leaves a process under its limit alone', async () => {
    await supervisor.apply({
      kind: 'Deployment',
      replicas: 1,
      template: template('steady', {}, 200 * MiB),
    });
    await supervisor.waitAllReady(10_000);
    await sleep(1000);
    const [pod] = supervisor.listPods('steady');
    expect(pod).toMatchObject({ restarts: 0, status: 'Running' });
    expect(pod.memoryBytes).toBeGreaterThan(10 * MiB);
    expect(pod.memoryBytes).toBeLessThan(200 * MiB);
    expect(pod.lastTermination).toBeUndefined();
  });

  it('a container that exits 0 is Completed, and `get pods` shows it so while it waits', async () => {
    await supervisor.apply({
      kind: 'Deployment',
      replicas: 1,
      template: template('batch', { EXIT: '1' }),
    });
    const done = await until(() => {
      const pod = supervisor.listPods('batch')[0];
      return pod.restarts > 1 && pod.status === 'Restarting' ? pod : undefined;
    });
    expect(done.lastTermination).toBe('Completed');
    expect(formatPodTable([done])).toMatch(/\bCompleted\b/);
    const oom: PodInfo = { ...done, lastTermination: 'OOMKilled' };
    expect(formatPodTable([oom])).toMatch(/\bOOMKilled\b/);
    expect(displayStatus({ ...oom, status: 'Running' })).toBe('Running');
  }, 30_000);
});

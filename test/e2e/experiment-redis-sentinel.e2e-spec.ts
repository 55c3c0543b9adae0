import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * The Redis failover rows on a stack of their own (primary + 2 replicas + 3 Sentinels): they
 * pass, and the report carries the promotion and the acknowledged orders read back.
 */
describe('npm run experiment: redis-replica-kill, redis-primary-kill', () => {
  const out = mkdtempSync(join(tmpdir(), 'what-survives-reports-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('promotes a replica, fails only with 503s, and reports every acknowledged order read back', async () => {
    const started = performance.now();
    const { code, stdout } = await new Promise<{
      code: number;
      stdout: string;
    }>((resolve) =>
      execFile(
        process.execPath,
        [
          '--import',
          'tsx',
          'tools/experiment/main.ts',
          '--quick',
          '--users',
          '6',
          '--scenario',
          'redis-replica-kill,redis-primary-kill',
          '--out',
          out,
        ],
        { cwd: ROOT, timeout: 200_000, env: process.env },
        (error, output) =>
          resolve({
            code: error ? ((error.code as number) ?? 1) : 0,
            stdout: output,
          }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `experiment redis-replica-kill,redis-primary-kill: ${seconds.toFixed(0)} s wall time\n`,
    );
    expect({ code, tail: stdout.slice(-2000) }).toMatchObject({ code: 0 });
    expect(stdout).toContain('VERDICT: every outcome as expected');

    const report = JSON.parse(
      readFileSync(
        join(
          out,
          readdirSync(out).find((name) => name.endsWith('.json')) as string,
        ),
        'utf8',
      ),
    );
    const row = (scenario: string) =>
      report.rows.find(
        (candidate: { scenario: string }) => candidate.scenario === scenario,
      );
    const replica = row('redis-replica-kill');
    expect(replica.requests.failed).toBe(0);
    expect(replica.acknowledgedOrders.lost).toBe(0);
    const primary = row('redis-primary-kill');
    expect(primary.failovers).toHaveLength(1);
    expect(primary.failovers[0].promotedMs).toBeGreaterThan(0);
    expect(primary.acknowledgedOrders.total).toBeGreaterThan(0);
    // Failures during the failover are the services' 503s, never a 500.
    expect(
      Object.keys(primary.requests.byStatus).filter((status) =>
        status.startsWith('5'),
      ),
    ).not.toContain('500');
  }, 240_000);
});

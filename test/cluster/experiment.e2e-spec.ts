import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { entryPoint } from './cluster-kubectl';

const ROOT = join(__dirname, '..', '..');

/**
 * `npm run experiment -- --target k8s --quick` against the real cluster, through the Kubernetes
 * driver: its verdict must be "as expected", and its report is kept (reports/cluster/) for the
 * survival table beside the local stack's (docs/kubernetes.md).
 */
describe('npm run experiment -- --target k8s --quick', () => {
  it('runs every cluster scenario through Traefik and the Kubernetes API; the verdict is as expected', async () => {
    const out = join(ROOT, 'reports', 'cluster');
    mkdirSync(out, { recursive: true });
    const before = new Set(readdirSync(out));
    const run = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(
        'npm',
        [
          'run',
          'experiment',
          '--',
          '--target',
          'k8s',
          '--quick',
          '--url',
          entryPoint(),
          '--out',
          out,
        ],
        { cwd: ROOT, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          process.stdout.write(
            stdout.split('\nSurvival table\n')[1] ?? `${stdout}\n${stderr}`,
          );
          resolve({ code: error ? ((error.code as number) ?? 1) : 0, stdout });
        },
      ),
    );
    expect(run.stdout).toMatch(/VERDICT: every outcome as expected/);
    expect(run.code).toBe(0);

    const json = readdirSync(out).find(
      (name) => !before.has(name) && name.endsWith('.json'),
    );
    expect(json).toBeDefined();
    const report = JSON.parse(readFileSync(join(out, json as string), 'utf8'));
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    const validate = ajv.compile(
      JSON.parse(
        readFileSync(
          join(ROOT, 'schemas', 'experiment-report.schema.json'),
          'utf8',
        ),
      ),
    );
    expect(validate(report) ? [] : validate.errors).toEqual([]);
    expect(report).toMatchObject({ target: 'k8s', verdict: 'passed' });
    // Every scenario a cluster can run ran: the crash one through the node (a real SIGKILL).
    expect([
      ...new Set(report.rows.map((row: { scenario: string }) => row.scenario)),
    ]).toEqual([
      'delete-pod',
      'crash',
      'graceful-delete',
      'kill-all',
      'redis-kill',
      'rollout',
      'scale-in',
    ]);
    expect(
      report.rows
        .filter((row: { scenario: string }) => row.scenario === 'crash')
        .every((row: { restartedInPlace?: boolean }) => row.restartedInPlace),
    ).toBe(true);
  }, 660_000);
});

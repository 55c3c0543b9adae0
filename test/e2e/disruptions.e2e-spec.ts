import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface ReportRow {
  scenario: string;
  app: string;
  pass: boolean;
  requests: { failed: number };
  sessions?: {
    kept: number;
    lost: number;
    total: number;
    expectedLost: number;
  };
  orders?: { kept: number; total: number };
  rebalance?: { fairShareAfterMs: number | null; share: number };
  oom?: {
    killed: boolean;
    sessionsAtDeath: number | null;
    peakRssBytes: number;
    limitBytes: number;
  };
  restartedInPlace?: boolean;
  othersRestarted?: string[];
  observed: string;
}

interface Report {
  verdict: string;
  failedRows: string[];
  rows: ReportRow[];
  timelines: Array<{
    scenario: string;
    markers: Array<{ kind: string; app: string; label?: string }>;
    series?: Array<{ name: string; unit: string; points: number[][] }>;
  }>;
}

function runExperiment(
  args: string[],
): Promise<{ code: number; stdout: string; report: Report; html: string }> {
  const out = mkdtempSync(join(tmpdir(), 'what-survives-disruptions-'));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'tools/experiment/main.ts', '--out', out, ...args],
      { cwd: ROOT, timeout: 170_000 },
      (error, stdout) => {
        try {
          const files = readdirSync(out);
          const json = files.find((name) => name.endsWith('.json'));
          const html = files.find((name) => name.endsWith('.html'));
          if (!json || !html)
            throw new Error(`no report written:\n${stdout}\n${String(error)}`);
          resolve({
            code: error ? ((error.code as number) ?? 1) : 0,
            stdout,
            report: JSON.parse(readFileSync(join(out, json), 'utf8')),
            html: readFileSync(join(out, html), 'utf8'),
          });
        } catch (failure) {
          reject(failure as Error);
        } finally {
          rmSync(out, { recursive: true, force: true });
        }
      },
    );
  });
}

const validateReport = (() => {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile(
    JSON.parse(
      readFileSync(
        join(ROOT, 'schemas', 'experiment-report.schema.json'),
        'utf8',
      ),
    ),
  );
})();

const row = (report: Report, scenario: string, app: string) =>
  report.rows.find(
    (candidate) => candidate.scenario === scenario && candidate.app === app,
  ) as ReportRow;

/** The disruptions that really happen: a deploy, a scale-in, with the expected outcomes. */
describe('npm run experiment -- --scenario rollout,scale-in,oom', () => {
  it('passes: a rollout loses every legacy cart and nothing else; a scale-in the removed pods’ carts; an OOM kill the flooded pod’s', async () => {
    const { code, stdout, report, html } = await runExperiment([
      '--quick',
      '--scenario',
      'rollout,scale-in,oom',
    ]);
    expect(validateReport(report)).toBe(true);
    // The failing rows whole, so that a failure says which observation missed.
    expect({
      code,
      verdict: report.verdict,
      failed: report.rows.filter((candidate) => !candidate.pass),
    }).toEqual({ code: 0, verdict: 'passed', failed: [] });
    expect(stdout).toContain('VERDICT: every outcome as expected');

    for (const app of ['auth', 'order', 'cart'])
      expect(row(report, 'rollout', app).requests.failed).toBe(0);
    const legacy = row(report, 'rollout', 'cart-legacy');
    expect(legacy.requests.failed).toBe(0);
    expect(legacy.sessions).toMatchObject({ kept: 0 });
    expect(row(report, 'rollout', 'cart').sessions).toMatchObject({ lost: 0 });
    // Each step of the rollout is on the timeline: every new pod created and ready.
    const steps = report.timelines
      .find((timeline) => timeline.scenario === 'rollout')
      ?.markers.filter(
        (marker) => marker.kind === 'step' && marker.app === 'order',
      )
      .map((marker) => marker.label ?? '');
    expect(steps?.filter((label) => label.endsWith(' created')).length).toBe(
      steps?.filter((label) => label.endsWith(' gone')).length,
    );
    expect(steps?.some((label) => label.endsWith(' ready'))).toBe(true);
    expect(html).toContain('terminating (graceful)');

    const order = row(report, 'scale-in', 'order');
    expect(order.requests.failed).toBe(0);
    expect(order.orders?.kept).toBe(order.orders?.total);
    expect(order.rebalance?.fairShareAfterMs).not.toBeNull();
    const scaledLegacy = row(report, 'scale-in', 'cart-legacy');
    expect(scaledLegacy.sessions?.expectedLost).toBeGreaterThan(0);
    expect(scaledLegacy.sessions?.lost).toBe(
      scaledLegacy.sessions?.expectedLost,
    );
    expect(scaledLegacy.rebalance?.fairShareAfterMs).toBeNull();

    const flooded = row(report, 'oom', 'cart-legacy');
    expect(flooded.oom?.killed).toBe(true);
    expect(flooded.restartedInPlace).toBe(true);
    expect(flooded.oom?.sessionsAtDeath).toBeGreaterThan(0);
    expect(flooded.sessions?.lost).toBe(flooded.sessions?.expectedLost);
    expect(row(report, 'oom', 'cart').sessions).toMatchObject({ lost: 0 });
    // The RSS curve climbs to the limit.
    const rss = report.timelines
      .find((timeline) => timeline.scenario === 'oom')
      ?.series?.find((line) => line.name.includes('RSS'));
    expect(rss?.points.length).toBeGreaterThan(3);
    expect(
      Math.max(...(rss?.points ?? []).map(([, mib]) => mib)),
    ).toBeGreaterThan((flooded.oom?.limitBytes ?? 0) / 2 ** 20 - 40);
    expect(html).toContain('RSS (limit');
  }, 180_000);

  it('--sabotage rollout-all-unavailable: the verdict catches a rollout that stops every old pod at once', async () => {
    const { code, report } = await runExperiment([
      '--quick',
      '--scenario',
      'rollout',
      '--sabotage',
      'rollout-all-unavailable',
    ]);
    expect(validateReport(report)).toBe(true);
    expect(code).toBe(1);
    expect(report.verdict).toBe('failed');
    expect(report.failedRows).toContain('rollout/order');
    expect(row(report, 'rollout', 'order').requests.failed).toBeGreaterThan(0);
  }, 180_000);

  it('--sabotage bystander-crash: a pod the scenario did not disrupt restarts, and its row fails', async () => {
    const { code, report } = await runExperiment([
      '--quick',
      '--scenario',
      'crash',
      '--sabotage',
      'bystander-crash',
    ]);
    expect(validateReport(report)).toBe(true);
    expect(code).toBe(1);
    expect(report.verdict).toBe('failed');
    for (const app of ['auth', 'order', 'cart', 'cart-legacy']) {
      const crashed = row(report, 'crash', app);
      // The scenario's own pod restarted in place as expected; the extra one is what fails.
      expect(crashed.restartedInPlace).toBe(true);
      expect(crashed.othersRestarted).toHaveLength(1);
      expect(crashed.observed).toContain(
        `pods not disrupted restarted too: ${crashed.othersRestarted?.[0]}`,
      );
      expect(report.failedRows).toContain(`crash/${app}`);
    }
  }, 180_000);
});

/// <reference lib="dom" />
// The page.evaluate callbacks below run in the browser.
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../support/browser';
import { podKillClaims } from '../../tools/claims/claims';

const ROOT = join(__dirname, '..', '..');

function runExperiment(
  args: string[],
): Promise<{ code: number; stdout: string; out: string }> {
  const out = mkdtempSync(join(tmpdir(), 'what-survives-reports-'));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'tools/experiment/main.ts', '--out', out, ...args],
      { cwd: ROOT, timeout: 150_000 },
      (error, stdout) =>
        resolve({
          code: error ? ((error.code as number) ?? 1) : 0,
          stdout,
          out,
        }),
    );
  });
}

function reportIn(directory: string) {
  const json = readdirSync(directory).find((name) =>
    name.endsWith('.json'),
  ) as string;
  const html = readdirSync(directory).find((name) =>
    name.endsWith('.html'),
  ) as string;
  return {
    json: JSON.parse(readFileSync(join(directory, json), 'utf8')),
    html: readFileSync(join(directory, html), 'utf8'),
  };
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

/** `npm run experiment`: the verdict, the reports, and a verdict that catches a broken system. */
describe('npm run experiment', () => {
  const directories: string[] = [];
  afterAll(() =>
    directories.forEach((directory) =>
      rmSync(directory, { recursive: true, force: true }),
    ),
  );

  it('states the hypothesis, prints the table, writes a valid JSON and a self-contained HTML report, exits 0', async () => {
    const run = await runExperiment([
      '--quick',
      '--users',
      '8',
      '--scenario',
      'delete-pod,legacy-without-affinity',
    ]);
    directories.push(run.out);
    // On failure, show which rows differed and what they observed.
    const differing = run.stdout
      .split('\n')
      .filter((line) => line.includes('FAIL'));
    expect({ code: run.code, differing }).toEqual({ code: 0, differing: [] });
    expect(run.stdout).toMatch(/^Hypothesis/m);
    expect(run.stdout.indexOf('Hypothesis')).toBeLessThan(
      run.stdout.indexOf('Survival table'),
    );
    expect(run.stdout).toContain('VERDICT: every outcome as expected');

    const { json, html } = reportIn(run.out);
    expect(validateReport(json)).toBe(true);
    expect(validateReport.errors ?? []).toEqual([]);
    expect(
      json.rows.map(
        (row: { scenario: string; app: string }) =>
          `${row.scenario}/${row.app}`,
      ),
    ).toEqual([
      'delete-pod/auth',
      'delete-pod/order',
      'delete-pod/cart',
      'delete-pod/cart-legacy',
      'legacy-without-affinity/cart-legacy',
    ]);
    const legacy = json.rows.find(
      (row: { scenario: string; app: string }) =>
        row.scenario === 'delete-pod' && row.app === 'cart-legacy',
    );
    expect(legacy.sessions.lost).toBe(legacy.sessions.expectedLost);
    expect(legacy.sessions.lost).toBeGreaterThan(0);
    // The README's story claims can be read off this very report (npm run claims).
    expect(podKillClaims(json).map((claim) => claim.source)).toEqual([
      `experiment ${json.startedAt}, delete-pod/cart-legacy`,
      `experiment ${json.startedAt}, delete-pod/cart`,
      `experiment ${json.startedAt}, delete-pod/order, auth`,
    ]);
    // The same story in the pods' own counters: lost sessions show up on cart-legacy only.
    const deleteWindow = json.timelines.find(
      (timeline: { scenario: string }) => timeline.scenario === 'delete-pod',
    );
    expect(
      deleteWindow.metricDeltas['cart-legacy'].sessions_missing_total,
    ).toBeGreaterThan(0);
    expect(deleteWindow.metricDeltas.cart.sessions_missing_total).toBe(0);
    expect(run.stdout).toMatch(
      /delete-pod: metric deltas: .*sessions missing: \+\d+ on cart-legacy/,
    );

    // Self-contained: no script, stylesheet or image from anywhere; one series per app per chart.
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org)/);
    const firstChart = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    const series = [
      ...firstChart.matchAll(/class="series" data-app="([^"]+)"/g),
    ].map((match) => match[1]);
    expect(series).toEqual(['auth', 'order', 'cart', 'cart-legacy']);

    // The report as a person sees it: rendered by Chromium, offline, screenshot kept under reports/.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({
        viewport: { width: 1280, height: 900 },
      });
      const requested: string[] = [];
      page.on('request', (request) => requested.push(request.url()));
      const htmlFile = join(
        run.out,
        readdirSync(run.out).find((name) => name.endsWith('.html')) as string,
      );
      await page.goto(`file://${htmlFile}`);
      expect(requested.filter((url) => !url.startsWith('file://'))).toEqual([]);
      const rendered = await page.evaluate(() => ({
        verdict: document.querySelector('.verdict')?.textContent,
        rows: document.querySelectorAll('tbody tr').length,
        charts: [...document.querySelectorAll('svg')].map((svg) => ({
          width: svg.getBoundingClientRect().width,
          series: [...svg.querySelectorAll('polyline.series')].map((line) =>
            line.getAttribute('data-app'),
          ),
          points: [...svg.querySelectorAll('polyline.series')].map(
            (line) => (line as SVGPolylineElement).points.length,
          ),
        })),
      }));
      expect(rendered.verdict).toContain('every outcome as expected');
      expect(rendered.rows).toBe(5);
      expect(rendered.charts).toHaveLength(2);
      for (const chart of rendered.charts) {
        expect(chart.width).toBeGreaterThan(300);
        expect(chart.series).toEqual(['auth', 'order', 'cart', 'cart-legacy']);
        chart.points.forEach((points) => expect(points).toBeGreaterThan(5));
      }
      mkdirSync(join(ROOT, 'reports'), { recursive: true });
      await page.screenshot({
        path: join(ROOT, 'reports', 'experiment-report.png'),
        fullPage: true,
      });
    } finally {
      await browser.close();
    }
  }, 160_000);

  it('exits non-zero and names the row when the system is broken on purpose (Redis without persistence)', async () => {
    const run = await runExperiment([
      '--quick',
      '--users',
      '6',
      '--scenario',
      'redis-kill',
      '--sabotage',
      'redis-without-aof',
    ]);
    directories.push(run.out);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'VERDICT: outcome differs from the hypothesis in redis-kill/redis',
    );
    const { json } = reportIn(run.out);
    expect(validateReport(json)).toBe(true);
    expect(json).toMatchObject({
      verdict: 'failed',
      failedRows: ['redis-kill/redis'],
      sabotage: 'redis-without-aof',
    });
  }, 160_000);

  it('runs the logout family on both settings (and short tokens): rows pass, in the JSON and the HTML', async () => {
    const run = await runExperiment([
      '--quick',
      '--users',
      '2',
      '--scenario',
      'logout',
    ]);
    directories.push(run.out);
    const differing = run.stdout
      .split('\n')
      .filter((line) => line.includes('FAIL'));
    expect({ code: run.code, differing }).toEqual({ code: 0, differing: [] });
    const { json, html } = reportIn(run.out);
    expect(validateReport(json)).toBe(true);
    expect(validateReport.errors ?? []).toEqual([]);
    const bySetting = Object.fromEntries(
      json.rows.map(
        (row: {
          scenario: string;
          revocation: { replicas: number; replicasAccepting: number };
        }) => [row.scenario, row.revocation],
      ),
    );
    expect(Object.keys(bySetting)).toEqual([
      'logout',
      'logout-denylist',
      'logout-short-tokens',
    ]);
    // Stateless: every replica took the logged-out token; with the denylist, none did.
    expect(bySetting.logout.replicasAccepting).toBe(bySetting.logout.replicas);
    expect(bySetting.logout.replicas).toBeGreaterThan(1);
    expect(bySetting['logout-denylist']).toMatchObject({
      refusedAtOnce: true,
      replicasAccepting: 0,
    });
    expect(bySetting['logout-short-tokens'].replicasAcceptingAtEnd).toBe(0);
    for (const scenario of Object.keys(bySetting))
      expect(html).toContain(`<td>${scenario}</td>`);
  }, 160_000);

  it('refuses an unknown scenario with a one-line error and exit 2', async () => {
    const run = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', 'tools/experiment/main.ts', '--scenario', 'nope'],
        { cwd: ROOT },
        (error, _stdout, stderr) =>
          resolve({ code: (error?.code as number) ?? 0, stderr }),
      ),
    );
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(
      /^experiment: unknown scenario nope \(have delete-pod, .*\)$/,
    );
  });
});

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeploymentName } from '../deployments';
import type { Row, Timeline } from './runner';

export interface ExperimentReport {
  schemaVersion: 1;
  startedAt: string;
  finishedAt: string;
  target: 'local' | 'k8s';
  quick: boolean;
  virtualUsers: number;
  sabotage: string | null;
  verdict: 'passed' | 'failed';
  failedRows: string[];
  rows: Row[];
  timelines: Timeline[];
}

/** Each app's line in the timelines: a new deployment fails to compile until it has one. */
const COLORS: Record<DeploymentName, string> = {
  auth: '#6a3d9a',
  order: '#1f78b4',
  cart: '#33a02c',
  'cart-legacy': '#ff7f00',
};

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );
}

/** A timeline as inline SVG: successes per 100 ms per app (lines), failures (red bars), markers. */
export function timelineSvg(timeline: Timeline): string {
  const width = 860;
  const height = 220;
  const pad = { left: 44, right: 12, top: 14, bottom: 34 };
  const count = Math.max(timeline.buckets.length, 1);
  const max = Math.max(
    1,
    ...timeline.buckets.flatMap((bucket) =>
      timeline.apps.map((app) => bucket[app].ok + bucket[app].failed),
    ),
  );
  const x = (index: number) =>
    pad.left + (index / count) * (width - pad.left - pad.right);
  const y = (value: number) =>
    height - pad.bottom - (value / max) * (height - pad.top - pad.bottom);
  const lines = timeline.apps
    .map((app) => {
      const points = timeline.buckets.map(
        (bucket, index) =>
          `${x(index).toFixed(1)},${y(bucket[app].ok).toFixed(1)}`,
      );
      return `<polyline class="series" data-app="${app}" fill="none" stroke="${COLORS[app]}" stroke-width="2" points="${points.join(' ')}"><title>${app}: successes per ${timeline.bucketMs} ms</title></polyline>`;
    })
    .join('');
  const barWidth = Math.max(1, (width - pad.left - pad.right) / count - 1);
  const failures = timeline.buckets
    .map((bucket, index) => {
      const failed = timeline.apps.reduce(
        (sum, app) => sum + bucket[app].failed,
        0,
      );
      return failed
        ? `<rect class="failures" x="${x(index).toFixed(1)}" y="${y(failed).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(height - pad.bottom - y(failed)).toFixed(1)}" fill="#e31a1c" opacity="0.6"><title>${failed} failed</title></rect>`
        : '';
    })
    .join('');
  const markers = timeline.markers
    .map((marker) => {
      const position = x(marker.at / timeline.bucketMs).toFixed(1);
      const color =
        marker.kind === 'disrupted'
          ? '#e31a1c'
          : marker.kind === 'step'
            ? '#888'
            : '#33a02c';
      const what = marker.label ?? `${marker.app} ${marker.kind}`;
      return `<line class="marker ${marker.kind}" x1="${position}" x2="${position}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="${color}" stroke-dasharray="${marker.kind === 'step' ? '1 3' : '4 3'}"><title>${escapeHtml(what)} at ${(marker.at / 1000).toFixed(2)} s</title></line>`;
    })
    .join('');
  const seconds = Math.floor((count * timeline.bucketMs) / 1000);
  const ticks = Array.from({ length: seconds + 1 }, (_, second) => {
    const position = x((second * 1000) / timeline.bucketMs).toFixed(1);
    return `<text x="${position}" y="${height - pad.bottom + 16}" font-size="11" text-anchor="middle">${second}s</text>`;
  }).join('');
  const legend = [
    ...timeline.apps.map(
      (app, index) =>
        `<g transform="translate(${pad.left + index * 120},${height - 6})"><rect width="12" height="4" y="-4" fill="${COLORS[app]}"/><text x="16" font-size="11">${app}</text></g>`,
    ),
    `<g transform="translate(${pad.left + timeline.apps.length * 120},${height - 6})"><rect width="12" height="8" y="-8" fill="#e31a1c" opacity="0.6"/><text x="16" font-size="11">failed</text></g>`,
  ].join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="requests per ${timeline.bucketMs} ms during ${escapeHtml(timeline.scenario)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">
<text x="4" y="${pad.top + 4}" font-size="11">${max}</text><text x="4" y="${height - pad.bottom}" font-size="11">0</text>
<line x1="${pad.left}" x2="${width - pad.right}" y1="${height - pad.bottom}" y2="${height - pad.bottom}" stroke="#999"/>
${failures}${lines}${markers}${ticks}${legend}</svg>`;
}

/** A timeline's steps (a rollout's pods created, ready, gone) as a list under its chart. */
export function stepList(timeline: Timeline): string {
  const steps = timeline.markers.filter((marker) => marker.kind === 'step');
  if (!steps.length) return '';
  const items = steps
    .map(
      (step) =>
        `<li>${(step.at / 1000).toFixed(2)} s — ${escapeHtml(step.app)}: ${escapeHtml(step.label ?? '')}</li>`,
    )
    .join('');
  return `<details class="steps"><summary>${steps.length} steps</summary><ol>${items}</ol></details>`;
}

/** Each sampled series of a timeline (an RSS curve) as a line over the same seconds. */
export function seriesSvg(timeline: Timeline): string {
  return (timeline.series ?? [])
    .map((line) => {
      const width = 860;
      const height = 140;
      const pad = { left: 60, right: 12, top: 14, bottom: 24 };
      const span = Math.max(
        1,
        timeline.buckets.length * timeline.bucketMs,
        ...line.points.map(([at]) => at),
      );
      const max = Math.max(1, ...line.points.map(([, value]) => value));
      const x = (at: number) =>
        pad.left + (at / span) * (width - pad.left - pad.right);
      const y = (value: number) =>
        height - pad.bottom - (value / max) * (height - pad.top - pad.bottom);
      const points = line.points
        .map(([at, value]) => `${x(at).toFixed(1)},${y(value).toFixed(1)}`)
        .join(' ');
      return `<svg xmlns="http://www.w3.org/2000/svg" class="series-chart" role="img" aria-label="${escapeHtml(line.name)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">
<text x="4" y="${pad.top + 4}" font-size="11">${max.toFixed(0)} ${escapeHtml(line.unit)}</text><text x="4" y="${height - pad.bottom}" font-size="11">0</text>
<text x="${pad.left}" y="${height - 6}" font-size="11">${escapeHtml(line.name)}</text>
<polyline fill="none" stroke="#b15928" stroke-width="2" points="${points}"/></svg>`;
    })
    .join('');
}

/** "sessions missing: +4 on cart-legacy" — the story's counters that moved in a window. */
export function describeDeltas(deltas: Timeline['metricDeltas']): string[] {
  if (!deltas) return [];
  const counters = [
    ...new Set(Object.values(deltas).flatMap((values) => Object.keys(values))),
  ];
  return counters
    .map((counter) => {
      const perApp = Object.entries(deltas)
        .filter(([, values]) => (values[counter] ?? 0) > 0)
        .map(([app, values]) => `+${values[counter]} on ${app}`);
      const label = counter.replace(/_total$/, '').replaceAll('_', ' ');
      return perApp.length ? `${label}: ${perApp.join(', ')}` : '';
    })
    .filter(Boolean);
}

export function renderHtml(report: ExperimentReport): string {
  const rows = report.rows
    .map(
      (row) =>
        `<tr class="${row.pass ? 'pass' : 'fail'}"><td>${row.pass ? '✔ as expected' : '✘ DIFFERS'}</td><td>${escapeHtml(row.scenario)}</td><td>${escapeHtml(row.app)}</td><td>${escapeHtml(row.expected)}</td><td>${escapeHtml(row.observed)}</td><td>${escapeHtml(row.why)}</td></tr>`,
    )
    .join('\n');
  const charts = report.timelines
    .map((timeline) => {
      const moved = describeDeltas(timeline.metricDeltas);
      const metrics = moved.length
        ? `<p class="metrics">Metric deltas (each pod's /metrics): ${moved.map(escapeHtml).join('; ')}</p>`
        : '';
      return `<section><h3>${escapeHtml(timeline.scenario)}</h3>${timelineSvg(timeline)}${seriesSvg(timeline)}${stepList(timeline)}${metrics}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>What survives a pod kill — ${escapeHtml(report.startedAt)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1200px}
table{border-collapse:collapse;width:100%;font-size:14px}td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}
tr.fail td:first-child{color:#b00;font-weight:bold}tr.pass td:first-child{color:#070}
.verdict{font-size:1.3rem;font-weight:bold}.verdict.failed{color:#b00}.verdict.passed{color:#070}
section{margin:1rem 0}svg{max-width:100%;height:auto;border:1px solid #eee}
</style></head><body>
<h1>What survives a pod kill</h1>
<p class="verdict ${report.verdict}">Verdict: ${report.verdict === 'passed' ? 'every outcome as expected' : `outcome differs in ${escapeHtml(report.failedRows.join(', '))}`}</p>
<p>Target <b>${report.target}</b>, ${report.virtualUsers} virtual users${report.quick ? ' (quick run)' : ''}${report.sabotage ? `, sabotage <b>${escapeHtml(report.sabotage)}</b>` : ''}; ${escapeHtml(report.startedAt)} → ${escapeHtml(report.finishedAt)}.</p>
<h2>Survival table</h2>
<table><thead><tr><th>verdict</th><th>scenario</th><th>app</th><th>expected (hypothesis)</th><th>observed</th><th>why</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>Timelines</h2>
<p>Successful requests per ${report.timelines[0]?.bucketMs ?? 100} ms per app; red bars: failed requests; dashed red: disruption; dashed green: replacement ready; dotted grey: a step (pod created, ready, terminating, gone — listed under the chart).</p>
${charts}
</body></html>
`;
}

export function writeReports(
  report: ExperimentReport,
  directory: string,
): { json: string; html: string } {
  mkdirSync(directory, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const json = join(directory, `${stamp}.json`);
  const html = join(directory, `${stamp}.html`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(html, renderHtml(report));
  return { json, html };
}

/** The survival table for the terminal. */
export function formatTable(rows: Row[]): string {
  const lines = rows.map(
    (row) =>
      `${row.pass ? 'ok  ' : 'FAIL'}  ${`${row.scenario}/${row.app}`.padEnd(38)} ${row.observed}\n      expected: ${row.expected}\n      why: ${row.why}`,
  );
  return lines.join('\n');
}

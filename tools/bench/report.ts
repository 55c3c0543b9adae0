import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConversationReport } from './conversation';
import { conversationsHtml } from './conversation-table';
import type { InstallSize, MemorySample, StartupTimes } from './footprint';
import type { JwtCost } from './jwt-cost';
import type { LoadPlan, Measurement } from './measure';
import type { DenylistCost } from './denylist-cost';
import type { RefreshTraffic } from './refresh-traffic';
import type { Group } from './scenarios';

export interface Row {
  id: string;
  group: Group;
  label: string;
  via: string;
  note?: string;
  measurement: Measurement;
  /** Bare Nest on Express: req/s in a round just before and one just after this row, averaged. */
  bareNestAround: number;
  /** Median req/s over `bareNestAround` (1 for the bare-Nest row itself). */
  ratioToBareNest: number;
  /** The same for bare Nest on Fastify, the framework order and auth run on. */
  bareNestFastifyAround: number;
  ratioToBareNestFastify: number;
  comparison?: { with: string; label: string; ratio: number };
}

export interface BenchReport {
  schemaVersion: 1;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  quick: boolean;
  plan: LoadPlan;
  source: { commit: string; uncommittedFiles: number; distBuiltAt: string };
  machine: {
    node: string;
    cpus: number;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
  };
  rows: Row[];
  /** `--rows conversation` (or all rows): the americano conversation, stateful vs stateless. */
  conversations?: ConversationReport;
  footprint: {
    startup: StartupTimes[];
    memory: MemorySample[];
    install: InstallSize;
  };
  jwtCost: JwtCost[];
  /** What AUTH_REVOCATION=denylist costs per request (`--rows denylist-cost`, or every row). */
  denylistCost?: DenylistCost;
  /** What short access tokens cost in refreshes (`--rows refresh-traffic`, or every row). */
  refreshTraffic?: RefreshTraffic;
  caveats: string[];
}

const number = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    : '—';
const ratioText = (value: number) =>
  Number.isFinite(value) ? `${value.toFixed(value < 0.1 ? 3 : 2)}×` : '—';
export const megabytes = (bytes: number | null) =>
  bytes === null ? '—' : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const bundleSizes = (install: InstallSize) =>
  Object.entries(install.bundleBytes)
    .map(([app, bytes]) => `${app} ${megabytes(bytes)}`)
    .join(', ');

function cells(row: Row): string[] {
  const { requestsPerSecond: rate, latencyMs, errors } = row.measurement;
  return [
    row.label,
    row.via,
    number(rate.median),
    `${number(rate.min)}–${number(rate.max)}`,
    number(latencyMs.p50, 2),
    number(latencyMs.p99, 2),
    String(errors.total),
    row.measurement.cpuMicrosecondsPerRequest === undefined
      ? '—'
      : number(row.measurement.cpuMicrosecondsPerRequest),
    ratioText(row.ratioToBareNest),
    ratioText(row.ratioToBareNestFastify),
    row.comparison
      ? `${ratioText(row.comparison.ratio)} ${row.comparison.label}`
      : '',
  ];
}

const HEADER = [
  'row',
  'via',
  'req/s',
  'rounds min–max',
  'p50 ms',
  'p99 ms',
  'errors',
  'CPU µs/req',
  '× Nest Express',
  '× Nest Fastify',
  'vs',
];
const RIGHT_ALIGNED = new Set([2, 3, 4, 5, 6, 7, 8, 9]);

/** The rows as a fixed-width table, grouped, for the terminal. */
export function formatTable(rows: Row[]): string {
  const table = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, column) =>
    Math.max(...table.map((line) => line[column].length)),
  );
  const format = (line: string[]) =>
    line
      .map((cell, column) =>
        RIGHT_ALIGNED.has(column)
          ? cell.padStart(widths[column])
          : cell.padEnd(widths[column]),
      )
      .join('  ')
      .trimEnd();
  const lines = [format(HEADER)];
  let group: Group | undefined;
  for (const row of rows) {
    if (row.group !== group) {
      group = row.group;
      lines.push(`— ${group}`);
    }
    lines.push(format(cells(row)));
  }
  return lines.join('\n');
}

export function formatFootprint(report: BenchReport): string {
  const { startup, memory, install } = report.footprint;
  return [
    startup.length
      ? 'start-up (spawn → /healthz/ready 200, median of ' +
        `${startup[0].samplesMs.length}): ` +
        startup.map((s) => `${s.app} ${number(s.medianMs)} ms`).join(', ')
      : 'start-up: not measured (--rows without startup)',
    'RSS idle → after load:',
    ...memory.map(
      (sample) =>
        `  ${sample.process.padEnd(28)} ${megabytes(sample.idleBytes).padStart(9)} → ${megabytes(sample.afterLoadBytes)}`,
    ),
    `in each image: one bundle, ${bundleSizes(install)} (no node_modules; unbundled it was dist ${megabytes(install.distBytes)} + ${install.productionPackages} production packages ${megabytes(install.productionDependencyBytes)} = ${megabytes(install.totalBytes)})`,
    'JWT CPU cost per operation (jose, one core): ' +
      report.jwtCost
        .map(
          (cost) =>
            `${cost.alg} verify ${number(cost.verifyMicroseconds)} µs / sign ${number(cost.signMicroseconds)} µs`,
        )
        .join('; '),
  ].join('\n');
}

export function formatDenylistCost(cost: DenylistCost): string {
  const side = (name: string, s: DenylistCost['with']) =>
    `${name} ${number(s.requestsPerSecond)} req/s, ${number(s.cpuMicrosecondsPerRequest)} µs CPU, ${number(s.redisCommandsPerRequest, 2)} Redis commands per request`;
  return `denylist cost, ${cost.route} (${cost.cycles} cycles of ${cost.roundSeconds} s, in turn): ${side('without', cost.without)}; ${side('with', cost.with)}; with ÷ without: req/s ${ratioText(cost.requestsPerSecondRatio)}, CPU per request ${ratioText(cost.cpuPerRequestRatio)}`;
}

/** "refresh: 412 B sent + 596 B received, 1.1 ms auth CPU; per user-hour: 60 s tokens ..." */
export function formatRefreshTraffic(traffic: RefreshTraffic): string {
  const perHour = traffic.perUserHour
    .map(
      (hour) =>
        `${hour.accessTokenLifetimeSeconds} s tokens ${number(hour.refreshes)} refreshes, ${number(hour.bytes / 1024, 1)} kB, ${number(hour.authCpuMilliseconds, 1)} ms auth CPU`,
    )
    .join(' vs ');
  return `refresh (median of ${traffic.refreshes}, on the socket): ${number(traffic.requestBytes)} B sent + ${number(traffic.responseBytes)} B received, ${number(traffic.authCpuMicroseconds)} µs auth CPU, p50 ${number(traffic.latencyMs.p50, 2)} ms; per user-hour: ${perHour}`;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );
}

const GROUP_COLORS: Record<Group, string> = {
  baselines: '#888888',
  'identity per request': '#6a3d9a',
  'real routes': '#1f78b4',
  gateway: '#ff7f00',
  'scale-out': '#33a02c',
};

/** Median req/s per row as horizontal bars, with the rounds' min–max as a whisker. */
export function barChartSvg(rows: Row[]): string {
  const width = 1000;
  const labelWidth = 420;
  const barHeight = 18;
  const gap = 6;
  const top = 10;
  const height = top + rows.length * (barHeight + gap) + 24;
  const max = Math.max(
    1,
    ...rows.map((row) => row.measurement.requestsPerSecond.max || 0),
  );
  const x = (value: number) =>
    labelWidth + (Math.max(value, 0) / max) * (width - labelWidth - 260);
  const bars = rows
    .map((row, index) => {
      const rate = row.measurement.requestsPerSecond;
      const y = top + index * (barHeight + gap);
      const middle = y + barHeight / 2;
      return `<g><title>${escapeHtml(`${row.label} via ${row.via}: ${number(rate.median)} req/s (rounds ${number(rate.min)}–${number(rate.max)})`)}</title>
<text x="${labelWidth - 6}" y="${middle + 4}" font-size="12" text-anchor="end">${escapeHtml(`${row.label} · ${row.via}`)}</text>
<rect x="${labelWidth}" y="${y}" width="${(x(rate.median) - labelWidth).toFixed(1)}" height="${barHeight}" fill="${GROUP_COLORS[row.group]}"/>
<line x1="${x(rate.min).toFixed(1)}" x2="${x(rate.max).toFixed(1)}" y1="${middle}" y2="${middle}" stroke="#000" stroke-width="1.5"/>
<text x="${(x(Math.max(rate.max, rate.median)) + 6).toFixed(1)}" y="${middle + 4}" font-size="12">${number(rate.median)} (${ratioText(row.ratioToBareNest)} Express, ${ratioText(row.ratioToBareNestFastify)} Fastify)</text></g>`;
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="median requests per second per row" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">
<line x1="${labelWidth}" x2="${labelWidth}" y1="${top - 4}" y2="${height - 20}" stroke="#999"/>
${bars}
<text x="${labelWidth}" y="${height - 4}" font-size="11">0</text><text x="${width - 260}" y="${height - 4}" font-size="11" text-anchor="end">${number(max)} req/s</text>
</svg>`;
}

export function renderHtml(report: BenchReport): string {
  const rows = report.rows
    .map(
      (row) =>
        `<tr><td>${escapeHtml(row.group)}</td>${cells(row)
          .map(
            (cell, column) =>
              `<td${RIGHT_ALIGNED.has(column) ? ' class="n"' : ''}>${escapeHtml(cell)}</td>`,
          )
          .join('')}<td class="note">${escapeHtml(row.note ?? '')}</td></tr>`,
    )
    .join('\n');
  const { startup, memory, install } = report.footprint;
  const plan = report.plan;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bench — ${escapeHtml(report.startedAt)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1300px}
table{border-collapse:collapse;font-size:13px;margin:.5rem 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}td.note{color:#555;max-width:420px}
svg{max-width:100%;height:auto}
</style></head><body>
<h1>What statelessness costs and buys, measured side by side</h1>
<p>${report.quick ? 'Quick run' : 'Full run'}: ${report.rows.length ? `${plan.rounds} rounds of ${plan.roundSeconds} s after ${plan.warmupSeconds} s of warm-up, ${plan.connections} connections per row (unless noted)` : 'no throughput row'}; Node ${escapeHtml(report.machine.node)}, ${report.machine.cpus} CPUs, load average ${report.machine.loadAverageAtStart.map((value) => value.toFixed(2)).join(' ')} at start, ${report.machine.loadAverageAtEnd.map((value) => value.toFixed(2)).join(' ')} at end; ${escapeHtml(report.startedAt)}, ${report.durationSeconds.toFixed(0)} s. Code: commit ${escapeHtml(report.source.commit)} with ${report.source.uncommittedFiles} uncommitted file(s); dist/ built ${escapeHtml(report.source.distBuiltAt)}.</p>
${
  report.rows.length
    ? `<h2>Throughput</h2>
${barChartSvg(report.rows)}
<table><thead><tr><th>group</th>${HEADER.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('')}<th>what the row measures</th></tr></thead><tbody>
${rows}
</tbody></table>`
    : ''
}
${report.conversations ? conversationsHtml(report.conversations) : ''}<h2>Footprint</h2>
<table><thead><tr><th>app</th><th>start-up median (ms)</th><th>samples (ms)</th></tr></thead><tbody>
${startup.map((s) => `<tr><td>${s.app}</td><td class="n">${number(s.medianMs)}</td><td>${s.samplesMs.map((value) => number(value)).join(', ')}</td></tr>`).join('\n')}
</tbody></table>
<table><thead><tr><th>process</th><th>RSS idle</th><th>RSS after load</th></tr></thead><tbody>
${memory.map((sample) => `<tr><td>${escapeHtml(sample.process)}</td><td class="n">${megabytes(sample.idleBytes)}</td><td class="n">${megabytes(sample.afterLoadBytes)}</td></tr>`).join('\n')}
</tbody></table>
<p>In each image: one bundle, <b>${bundleSizes(install)}</b> (no node_modules; unbundled it was dist ${megabytes(install.distBytes)} + ${install.productionPackages} production packages ${megabytes(install.productionDependencyBytes)} = ${megabytes(install.totalBytes)}).</p>
<h2>JWT CPU cost (jose, in-process, one core)</h2>
<table><thead><tr><th>alg</th><th>verify µs</th><th>sign µs</th></tr></thead><tbody>
${report.jwtCost.map((cost) => `<tr><td>${cost.alg}</td><td class="n">${number(cost.verifyMicroseconds)}</td><td class="n">${number(cost.signMicroseconds)}</td></tr>`).join('\n')}
</tbody></table>
${denylistCostHtml(report.denylistCost)}
${refreshTrafficHtml(report.refreshTraffic)}
<h2>Caveats</h2>
<ul>${report.caveats.map((caveat) => `<li>${escapeHtml(caveat)}</li>`).join('')}</ul>
</body></html>
`;
}

function denylistCostHtml(cost: DenylistCost | undefined): string {
  if (!cost) return '';
  const row = (name: string, side: DenylistCost['with']) =>
    `<tr><td>${name}</td><td class="n">${number(side.requestsPerSecond)}</td><td class="n">${number(side.cpuMicrosecondsPerRequest)}</td><td class="n">${number(side.redisCommandsPerRequest, 2)}</td></tr>`;
  return `<h2>Taking a token back: what the denylist costs per request</h2>
<p>${escapeHtml(cost.route)} on two order pods of the same bundle, Redis and token, one with <code>AUTH_REVOCATION=denylist</code>, loaded in turn (${cost.cycles} cycles of ${cost.roundSeconds} s). With ÷ without, median of the cycles: <b>req/s ${ratioText(cost.requestsPerSecondRatio)}</b>, <b>CPU per request ${ratioText(cost.cpuPerRequestRatio)}</b>.</p>
<table><thead><tr><th>AUTH_REVOCATION</th><th>req/s</th><th>CPU µs per request</th><th>Redis commands per request</th></tr></thead><tbody>
${row('none', cost.without)}
${row('denylist', cost.with)}
</tbody></table>`;
}

function refreshTrafficHtml(traffic: RefreshTraffic | undefined): string {
  if (!traffic) return '';
  const hours = traffic.perUserHour
    .map(
      (hour) =>
        `<tr><td class="n">${hour.accessTokenLifetimeSeconds} s</td><td class="n">${number(hour.refreshes)}</td><td class="n">${number(hour.bytes / 1024, 1)}</td><td class="n">${number(hour.authCpuMilliseconds, 1)}</td></tr>`,
    )
    .join('\n');
  return `<h2>Short access tokens: the refresh traffic they cost</h2>
<p>One refresh (median of ${traffic.refreshes}, counted on the socket): ${number(traffic.requestBytes)} B sent, ${number(traffic.responseBytes)} B received; ${number(traffic.authCpuMicroseconds)} µs of the auth pod's CPU; p50 ${number(traffic.latencyMs.p50, 2)} ms. An active user refreshes once per access-token lifetime:</p>
<table><thead><tr><th>lifetime</th><th>refreshes per user-hour</th><th>kB per user-hour</th><th>auth CPU ms per user-hour</th></tr></thead><tbody>
${hours}
</tbody></table>`;
}

export function writeReports(
  report: BenchReport,
  directory: string,
): { json: string; html: string } {
  mkdirSync(directory, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const json = join(directory, `bench-${stamp}.json`);
  const html = join(directory, `bench-${stamp}.html`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(html, renderHtml(report));
  return { json, html };
}

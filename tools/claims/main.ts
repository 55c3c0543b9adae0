/**
 * `npm run claims`: reads the claims of the README's story off the newest reports and writes
 * them to docs/measured-claims.json and into README.md's measured-claims block (a spec checks the
 * two agree, so the README cannot drift from the file).
 *
 *   npm run claims -- [--experiment reports/<t>.json …] [--bench reports/bench-<t>.json] [--reports reports]
 *
 * By default it takes the newest local, unsabotaged experiment report and the newest bench
 * report in --reports that hold the rows a claim needs.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchReport } from '../bench/report';
import type { ExperimentReport } from '../experiment/report';
import {
  conversationClaims,
  MissingMeasurement,
  podKillClaims,
  revocationClaims,
  type MeasuredClaim,
} from './claims';
import {
  CLAIMS_FILE,
  README,
  renderClaims,
  replaceClaimsBlock,
  ROOT,
  type ClaimsFile,
} from './readme-block';

function newestFirst(directory: string, pattern: RegExp): string[] {
  return readdirSync(directory)
    .filter((name) => pattern.test(name))
    .sort()
    .reverse()
    .map((name) => join(directory, name));
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** The first report (newest first) the claims can be read from, and what they say. */
function firstUsable<R, C>(
  paths: string[],
  accept: (report: R) => boolean,
  read: (report: R) => C,
  what: string,
): { path: string; claims: C } {
  for (const path of paths) {
    const report = readJson<R>(path);
    if (!accept(report)) continue;
    try {
      return { path, claims: read(report) };
    } catch (error) {
      if (!(error instanceof MissingMeasurement)) throw error;
    }
  }
  throw new MissingMeasurement(`no ${what} among ${paths.length} reports`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      experiment: { type: 'string', multiple: true },
      bench: { type: 'string' },
      reports: { type: 'string', default: join(ROOT, 'reports') },
    },
  });
  const experiments = values.experiment
    ? values.experiment
    : newestFirst(values.reports, /^\d{4}-.*\.json$/);
  const podKill = firstUsable<ExperimentReport, MeasuredClaim[]>(
    experiments,
    (report) => report.target === 'local' && report.sabotage === null,
    podKillClaims,
    'local experiment report with the delete-pod rows (npm run experiment -- --quick)',
  );
  const revocation = firstUsable<ExperimentReport, MeasuredClaim[]>(
    experiments,
    (report) => report.target === 'local' && report.sabotage === null,
    revocationClaims,
    'local experiment report with the logout rows (npm run experiment -- --scenario logout)',
  );
  const benches = values.bench
    ? [values.bench]
    : newestFirst(values.reports, /^bench-.*\.json$/);
  const conversation = firstUsable<BenchReport, MeasuredClaim[]>(
    benches,
    () => true,
    conversationClaims,
    'bench report with the conversation rows (npm run bench -- --rows conversation)',
  );
  const file: ClaimsFile = {
    measuredAt: new Date().toISOString(),
    reports: [
      ...new Set([podKill.path, conversation.path, revocation.path]),
    ].map((path) => basename(path)),
    claims: [...podKill.claims, ...conversation.claims, ...revocation.claims],
  };
  writeFileSync(CLAIMS_FILE, `${JSON.stringify(file, null, 2)}\n`);
  const block = renderClaims(file);
  writeFileSync(
    README,
    replaceClaimsBlock(readFileSync(README, 'utf8'), block),
  );
  console.log(block);
}

main().catch((error: Error) => {
  console.error(`claims: ${error.message}`);
  process.exit(error instanceof MissingMeasurement ? 2 : 1);
});

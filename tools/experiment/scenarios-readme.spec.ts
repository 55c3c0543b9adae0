import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCENARIOS } from './scenarios';

const README = join(__dirname, '..', '..', 'README.md');

/**
 * The first column of README.md's scenario table (the table whose header starts `| scenario`),
 * in order: the name between backticks of each row.
 */
function readmeScenarioRows(markdown: string): string[] {
  const lines = markdown.split(/\r?\n/);
  const header = lines.findIndex((line) => /^\|\s*scenario\s*\|/.test(line));
  if (header === -1) return [];
  const rows: string[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const cell = line.split('|')[1].trim();
    rows.push(/^`([^`]+)`$/.exec(cell)?.[1] ?? cell);
  }
  return rows;
}

/** What to change in README.md for its table to say what `npm run experiment` runs. */
function scenarioTableProblems(
  rows: string[],
  scenarios: { name: string; title: string }[],
): string[] {
  const names = scenarios.map((scenario) => scenario.name);
  return [
    ...scenarios
      .filter((scenario) => !rows.includes(scenario.name))
      .map(
        (scenario) =>
          `README.md: the scenario table has no row for \`${scenario.name}\` (${scenario.title}); add one (it comes after \`${names[names.indexOf(scenario.name) - 1] ?? '(the header)'}\` in scenarios.ts)`,
      ),
    ...rows
      .filter((row) => !names.includes(row))
      .map(
        (row) =>
          `README.md: the scenario table's row \`${row}\` is no scenario of tools/experiment/scenarios.ts (${names.join(', ')})`,
      ),
    ...rows
      .filter((row, index) => rows.indexOf(row) !== index)
      .map((row) => `README.md: the scenario table lists \`${row}\` twice`),
  ];
}

describe("README.md's scenario table ↔ tools/experiment/scenarios.ts", () => {
  it('has one row per scenario, no other', () => {
    const rows = readmeScenarioRows(readFileSync(README, 'utf8'));
    expect(rows.length).toBeGreaterThan(0);
    expect(scenarioTableProblems(rows, SCENARIOS)).toEqual([]);
  });

  it('names exactly the row that is missing, and the row that is stale', () => {
    const table = [
      '| scenario | disruption | expected |',
      '| --- | --- | --- |',
      '| `delete-pod` | x | y |',
      '| `gone` | x | y |',
      '',
    ].join('\n');
    expect(
      scenarioTableProblems(readmeScenarioRows(table), [
        { name: 'delete-pod', title: 'one pod of each app' },
        { name: 'partition', title: 'a network partition' },
      ]),
    ).toEqual([
      'README.md: the scenario table has no row for `partition` (a network partition); add one (it comes after `delete-pod` in scenarios.ts)',
      "README.md: the scenario table's row `gone` is no scenario of tools/experiment/scenarios.ts (delete-pod, partition)",
    ]);
  });
});

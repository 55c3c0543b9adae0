import { readFileSync } from 'node:fs';
import type { ExperimentReport } from '../experiment/report';
import type { Row } from '../experiment/runner';
import type { RowApp } from '../experiment/scenarios';
import type { BenchReport } from '../bench/report';
import {
  conversationClaims,
  MissingMeasurement,
  podKillClaims,
} from './claims';
import {
  CLAIMS_FILE,
  claimsBlockIn,
  README,
  renderClaims,
  replaceClaimsBlock,
  type ClaimsFile,
} from './readme-block';

describe('the README story claims', () => {
  it('README.md shows exactly the claims docs/measured-claims.json holds (run npm run claims after a new measurement)', () => {
    const file = JSON.parse(readFileSync(CLAIMS_FILE, 'utf8')) as ClaimsFile;
    expect(claimsBlockIn(readFileSync(README, 'utf8'))).toBe(
      renderClaims(file),
    );
  });

  it('replaces only the block and refuses a README without one', () => {
    const file: ClaimsFile = { measuredAt: 'now', reports: [], claims: [] };
    const readme = `before\n${renderClaims({ ...file, measuredAt: 'then' })}\nafter\n`;
    const claim = {
      id: 'x',
      claim: 'a | b',
      measured: '1',
      source: 's',
    };
    const replaced = replaceClaimsBlock(
      readme,
      renderClaims({ ...file, claims: [claim] }),
    );
    expect(replaced.startsWith('before\n')).toBe(true);
    expect(replaced.endsWith('\nafter\n')).toBe(true);
    expect(replaced).toMatch(/\| a \\\| b +\| 1 +\| s +\|/);
    expect(() => replaceClaimsBlock('no block', 'x')).toThrow(
      /no measured-claims block/,
    );
  });
});

describe('podKillClaims', () => {
  const requests = (sent: number, failed: number) => ({
    sent,
    failed,
    byStatus: {},
    longestFailureRunMs: 0,
    failedUsers: 0,
    maxFailuresPerUser: 0,
  });
  const row = (app: RowApp, extra: Partial<Row>): Row =>
    ({
      app,
      scenario: 'delete-pod',
      requests: requests(100, 0),
      tokens: { valid: 12, total: 12 },
      replacementReadyMs: 1000,
      ...extra,
    }) as Row;
  const sessions = (kept: number, lost: number, expectedLost: number) => ({
    kept,
    lost,
    total: kept + lost,
    expectedLost,
    failedUsersHeldElsewhere: 0,
  });
  const report = (rows: Row[]) =>
    ({ startedAt: 'T', rows }) as unknown as ExperimentReport;

  it('reads each number off its row', () => {
    const claims = podKillClaims(
      report([
        row('auth', { tokens: { valid: 11, total: 12 } }),
        row('order', {
          requests: requests(90, 2),
          orders: { kept: 12, total: 12, duplicates: 0 },
        }),
        row('cart', { sessions: sessions(12, 0, 0) }),
        row('cart-legacy', { sessions: sessions(8, 4, 4) }),
      ]),
    );
    expect(claims.map((claim) => claim.measured)).toEqual([
      '4 of 12 legacy carts lost — exactly the 4 held by the killed pod',
      '12 of 12 Redis carts kept; 0 of 100 requests failed',
      'order: 2 of 90 requests failed, 12 of 12 orders kept; auth: 0 of 100 requests failed, 11 of 12 tokens still valid',
    ]);
  });

  it('says which row is missing', () => {
    expect(() => podKillClaims(report([row('auth', {})]))).toThrow(
      MissingMeasurement,
    );
    expect(() => podKillClaims(report([row('auth', {})]))).toThrow(
      /no delete-pod\/cart-legacy row/,
    );
  });
});

describe('conversationClaims', () => {
  it('refuses a bench report without the conversation rows, saying how to get them', () => {
    const report = { startedAt: 'T', rows: [] } as unknown as BenchReport;
    expect(() => conversationClaims(report)).toThrow(
      /no conversation rows \(run npm run bench -- --rows conversation\)/,
    );
  });
});

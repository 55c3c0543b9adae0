import { StoryUser } from '../client/story-client';
import type { ClusterDriver } from '../drivers/cluster-driver';
import { LocalDriver } from '../drivers/local-driver';
import { probeAfterLogout, type RevocationObservation } from './logout-probe';
import { expectationFor, type Row } from './runner';
import {
  VERIFIER_CLOCK_TOLERANCE_SECONDS,
  type Observation,
  type ProbeScenario,
} from './scenarios';
import type { VirtualUser } from './virtual-users';

/**
 * A probe scenario's rows: one user of its own (the first virtual user's account), no load, no
 * disruption; the row's `requests` are the probes, `tokens` how many replicas still accepted
 * the logged-out token at the end.
 */
export async function runProbe(
  scenario: ProbeScenario,
  driver: ClusterDriver,
  users: VirtualUser[],
  options: { quick: boolean; progress: (line: string) => void },
): Promise<{ rows: Row[] }> {
  if (!(driver instanceof LocalDriver))
    throw new Error(`${scenario.name}: needs the local stack (every pod)`);
  options.progress(`${scenario.name}: ${scenario.title}`);
  const { story } = users[0];
  const { observation: revocation, statuses } = await probeAfterLogout(
    driver,
    new StoryUser(story.baseUrl, story.username, story.password),
    scenario.probe(options.quick),
    VERIFIER_CLOCK_TOLERANCE_SECONDS,
  );
  const byStatus: Record<string, number> = {};
  for (const status of statuses) byStatus[status] = (byStatus[status] ?? 0) + 1;
  const failed = statuses.filter((status) => status === 0 || status >= 500);
  const rows = scenario.rows.map((row): Row => {
    const expectation = expectationFor(row, driver.target);
    const observation: Observation = {
      app: expectation.app,
      requests: {
        sent: statuses.length,
        failed: failed.length,
        byStatus,
        longestFailureRunMs: 0,
        failedUsers: failed.length ? 1 : 0,
        maxFailuresPerUser: failed.length,
      },
      replacementReadyMs: null,
      tokens: {
        valid: revocation.replicasAcceptingAtEnd,
        total: revocation.replicas,
      },
      revocation,
    };
    return {
      ...observation,
      scenario: scenario.name,
      title: scenario.title,
      expected: expectation.expected,
      observed: describeRevocation(revocation),
      why: expectation.why,
      pass: expectation.holds(observation),
    };
  });
  return { rows };
}

export function describeRevocation(r: RevocationObservation): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const acceptance = r.refusedAtOnce
    ? `refused by all ${r.replicas} replicas on the first request after logout`
    : `accepted by ${r.replicasAccepting}/${r.replicas} replicas for ${seconds(r.acceptedForMs)} after logout` +
      (r.replicasAcceptingAtEnd
        ? ` (still accepted by ${r.replicasAcceptingAtEnd} when the probe stopped after ${seconds(r.probedForMs)}; ${r.remainingLifetimeSeconds} s left until exp)`
        : `, then refused by all`);
  return [
    `AUTH_REVOCATION=${r.setting}, access tokens live ${r.accessTokenLifetimeSeconds} s`,
    acceptance,
    `${r.rounds} rounds × ${r.replicas} replicas`,
    r.refusals.length ? `refusals: ${r.refusals.join(', ')}` : 'no refusal',
    `refresh after logout ${r.refreshRefusedAfterLogout ? 'refused' : 'ACCEPTED'}`,
  ].join('; ');
}

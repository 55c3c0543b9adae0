import type { BenchReport } from '../bench/report';
import type { ExperimentReport } from '../experiment/report';
import type { Row } from '../experiment/runner';
import type { RowApp } from '../experiment/scenarios';

/**
 * The README's story makes claims; each one here is read off a report, so the number beside a
 * claim is one somebody measured, not one somebody typed.
 */
export interface MeasuredClaim {
  id: string;
  claim: string;
  measured: string;
  /** Which report and row the number came from. */
  source: string;
}

export class MissingMeasurement extends Error {}

function row(report: ExperimentReport, scenario: string, app: RowApp): Row {
  const found = report.rows.find(
    (candidate) => candidate.scenario === scenario && candidate.app === app,
  );
  if (!found) {
    throw new MissingMeasurement(
      `the experiment report of ${report.startedAt} has no ${scenario}/${app} row (run npm run experiment -- --scenario ${scenario})`,
    );
  }
  return found;
}

const failedOf = (r: Row) =>
  `${r.requests.failed} of ${r.requests.sent} requests failed`;

/** The three claims the pod-kill experiment measures. */
export function podKillClaims(report: ExperimentReport): MeasuredClaim[] {
  const source = `experiment ${report.startedAt}, delete-pod`;
  const legacy = row(report, 'delete-pod', 'cart-legacy');
  const cart = row(report, 'delete-pod', 'cart');
  const order = row(report, 'delete-pod', 'order');
  const auth = row(report, 'delete-pod', 'auth');
  if (!legacy.sessions || !cart.sessions || !order.orders) {
    throw new MissingMeasurement(
      `the delete-pod rows of ${report.startedAt} carry no carts or orders`,
    );
  }
  return [
    {
      id: 'stateful-death-loses-state',
      claim: "A stateful server's death loses the state it kept",
      measured: `${legacy.sessions.lost} of ${legacy.sessions.total} legacy carts lost — exactly the ${legacy.sessions.expectedLost} held by the killed pod`,
      source: `${source}/cart-legacy`,
    },
    {
      id: 'redis-keeps-state',
      claim: 'Moved to Redis, the same state survives',
      measured: `${cart.sessions.kept} of ${cart.sessions.total} Redis carts kept; ${failedOf(cart)}`,
      source: `${source}/cart`,
    },
    {
      id: 'stateless-death-costs-nothing',
      claim: "A stateless server's death costs nothing",
      measured: `order: ${failedOf(order)}, ${order.orders.kept} of ${order.orders.total} orders kept; auth: ${failedOf(auth)}, ${auth.tokens.valid} of ${auth.tokens.total} tokens still valid`,
      source: `${source}/order, auth`,
    },
  ];
}

const bytes = (n: number) => `${n.toLocaleString('en-US')} B`;

/** The claim the bench's americano conversation measures: what the stateless request carries. */
export function conversationClaims(report: BenchReport): MeasuredClaim[] {
  const conversations = report.conversations;
  const stateful = conversations?.conversations.find(
    (c) => c.id === 'stateful',
  );
  const stateless = conversations?.conversations.find(
    (c) => c.id === 'stateless',
  );
  if (!conversations || !stateful || !stateless) {
    throw new MissingMeasurement(
      `the bench report of ${report.startedAt} has no conversation rows (run npm run bench -- --rows conversation)`,
    );
  }
  const steady = conversations.steadyState;
  const whole = (c: typeof stateful) =>
    `${c.requests} request${c.requests === 1 ? '' : 's'}, ${bytes(c.bytes.sent + c.bytes.received)}`;
  return [
    {
      id: 'stateless-request-carries-more',
      claim:
        'A stateless request carries more: the client sends its context every time',
      measured: `${bytes(steady.bearerHeaderBytes)} bearer header vs ${bytes(steady.cookieHeaderBytes)} cookie: +${bytes(steady.bearerExtraBytesPerRequest)} per request (+${steady.bearerExtraMBPerMillionRequests} MB per million); yet the whole order is ${whole(stateless)} stateless vs ${whole(stateful)} through the cart`,
      source: `bench ${report.startedAt}, conversation`,
    },
  ];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The price of stateless login the logout rows measure: the token you cannot take back. */
export function revocationClaims(report: ExperimentReport): MeasuredClaim[] {
  const probe = (scenario: string) => {
    const revocation = row(report, scenario, 'order').revocation;
    if (!revocation) {
      throw new MissingMeasurement(
        `the ${scenario} row of ${report.startedAt} carries no revocation probe`,
      );
    }
    return revocation;
  };
  const plain = probe('logout');
  const denylist = probe('logout-denylist');
  const short = probe('logout-short-tokens');
  return [
    {
      id: 'token-cannot-be-taken-back',
      claim:
        'A logged-out access token cannot be taken back: it works until it expires',
      measured: `after logout: accepted by ${plain.replicasAccepting}/${plain.replicas} order replicas for all ${seconds(plain.probedForMs)} probed, ${plain.remainingLifetimeSeconds} s of life left; with AUTH_REVOCATION=denylist refused by ${denylist.replicas - denylist.replicasAccepting}/${denylist.replicas} on the first request; with ${short.accessTokenLifetimeSeconds} s tokens accepted ${seconds(short.acceptedForMs)}, then refused`,
      source: `experiment ${report.startedAt}, logout, logout-denylist, logout-short-tokens`,
    },
  ];
}

import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { LocalStack } from '../../tools/lab/local-stack';

/** The local stack's failed-login limit per user and client address (tools/lab/local-stack.ts). */
const STACK_LOGIN_LIMIT = 50;
const RACE_TRIALS = 3;
const RACE_SIZE = 100;

/** An IPv4 address of this machine that is not loopback: where a LAN client would connect. */
function nonLoopbackAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry && entry.family === 'IPv4' && !entry.internal);
  if (!address)
    throw new Error(
      'this machine has no non-loopback IPv4 address to connect from',
    );
  return address.address;
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Who the client is, as the pods see it through the entry point: the gateway's own view of the
 * socket, never a header the client wrote; every guess counted before the password is checked.
 */
describe('client addresses and the login limit on the local stack', () => {
  let stack: LocalStack;
  const racers = Array.from(
    { length: RACE_TRIALS },
    (_, index) => `racer${index}`,
  );

  beforeAll(async () => {
    stack = await LocalStack.start({
      labPort: 0,
      replicas: { auth: 2, order: 0, cart: 0, 'cart-legacy': 0 },
      users: ['alice', ...racers]
        .map((name) => `${name}:${name}-pw-x7`)
        .join(','),
    });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const guess = (username: string, headers: Record<string, string> = {}) =>
    fetch(`${stack.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ username, password: 'not-the-password' }),
    }).then(async (response) => {
      await response.arrayBuffer();
      return response.status;
    });

  const tally = (statuses: number[]) =>
    statuses.reduce<Record<number, number>>(
      (counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }),
      {},
    );

  it('counts 60 failures that each claim another X-Forwarded-For as one client', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 60; attempt++) {
      statuses.push(
        await guess('alice', {
          'x-forwarded-for': `203.0.113.${attempt}`,
          'x-real-ip': `198.51.100.${attempt}`,
          forwarded: `for=198.51.100.${attempt}`,
        }),
      );
    }
    expect(tally(statuses)).toEqual({ 401: STACK_LOGIN_LIMIT, 429: 10 });
    expect(statuses.slice(0, STACK_LOGIN_LIMIT).every((s) => s === 401)).toBe(
      true,
    );
  });

  it(`lets exactly the limit of ${RACE_SIZE} parallel guesses reach the password check (${RACE_TRIALS} trials, two auth pods)`, async () => {
    const outcomes: Array<Record<number, number>> = [];
    for (const username of racers) {
      const statuses = await Promise.all(
        Array.from({ length: RACE_SIZE }, () => guess(username)),
      );
      outcomes.push(tally(statuses));
    }
    // Each guess takes its point atomically before the check: exactly the limit get that far.
    expect(outcomes).toEqual(
      racers.map(() => ({
        401: STACK_LOGIN_LIMIT,
        429: RACE_SIZE - STACK_LOGIN_LIMIT,
      })),
    );
  });

  it('binds every pod to 127.0.0.1: a LAN client reaches neither a pod nor the gateway', async () => {
    const lan = nonLoopbackAddress();
    const pods = stack.supervisor
      .listPods()
      .filter((pod) => pod.app !== 'redis');
    expect(pods.map((pod) => pod.app).sort()).toEqual(['auth', 'auth']);
    const gatewayPort = Number(new URL(stack.url).port);
    for (const port of [...pods.map((pod) => pod.port), gatewayPort]) {
      expect({ port, loopback: await connects('127.0.0.1', port) }).toEqual({
        port,
        loopback: true,
      });
      expect({ port, lan: await connects(lan, port) }).toEqual({
        port,
        lan: false,
      });
    }
  });
});

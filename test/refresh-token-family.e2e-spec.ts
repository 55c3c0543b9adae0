import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceProcess } from './support/service-process';
import { login, TestServices } from './support/services';

const TRIALS = 50;

interface RefreshAnswer {
  status: number;
  refreshToken?: string;
  message?: string;
}

async function refresh(
  auth: ServiceProcess,
  refreshToken: string,
): Promise<RefreshAnswer> {
  const response = await fetch(`${auth.url}/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: refreshToken }),
  });
  const body = (await response.json()) as {
    refresh_token?: string;
    message?: string;
  };
  return {
    status: response.status,
    refreshToken: body.refresh_token,
    message: body.message,
  };
}

async function logout(
  auth: ServiceProcess,
  refreshToken: string,
): Promise<number> {
  const response = await fetch(`${auth.url}/auth/logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: refreshToken }),
  });
  await response.arrayBuffer();
  return response.status;
}

/**
 * A revoked family must stay revoked, whatever the interleaving: the races run for real, over
 * HTTP, against two auth replicas sharing one Redis (each racing request goes to another one).
 */
describe('auth: a refresh-token family, once revoked, never refreshes again', () => {
  const services = new TestServices();
  let replicas: [ServiceProcess, ServiceProcess];

  beforeAll(async () => {
    replicas = await Promise.all([services.auth(), services.auth()]);
  });
  afterAll(() => services.stop());

  /** Successors handed out in a trial that still refresh once the race is over. */
  async function survivorsAmong(answers: RefreshAnswer[]): Promise<number> {
    const successors = answers
      .filter((answer) => answer.status === 200)
      .map((answer) => answer.refreshToken as string);
    const afterwards = await Promise.all(
      successors.map((token) => refresh(replicas[0], token)),
    );
    return afterwards.filter((answer) => answer.status === 200).length;
  }

  it(`two parallel refreshes of one token (${TRIALS} trials): the winner's successor dies with the family`, async () => {
    const tally = { trials: 0, winners: 0, reuseDetected: 0, survivors: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const { refresh_token } = await login(replicas[0], 'bob');
      const answers = await Promise.all([
        refresh(replicas[trial % 2], refresh_token),
        refresh(replicas[(trial + 1) % 2], refresh_token),
      ]);
      tally.trials++;
      tally.winners += answers.filter((answer) => answer.status === 200).length;
      tally.reuseDetected += answers.filter(
        (answer) =>
          answer.status === 401 && /reused/.test(answer.message ?? ''),
      ).length;
      tally.survivors += (await survivorsAmong(answers)) > 0 ? 1 : 0;
    }
    // One winner per trial, the loser is a replay: the family is revoked, the winner's successor too.
    expect(tally).toEqual({
      trials: TRIALS,
      winners: TRIALS,
      reuseDetected: TRIALS,
      survivors: 0,
    });
  });

  it(`a refresh racing a logout (${TRIALS} trials): no successor outlives the logout`, async () => {
    // Either may land first: a refresh before the logout hands out a successor that must die with
    // the family; a refresh after it is refused. Only the invariant is asserted, not the winner.
    const tally = { trials: 0, logouts: 0, survivors: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const { refresh_token } = await login(replicas[0], 'alice');
      const [answer, loggedOut] = await Promise.all([
        refresh(replicas[trial % 2], refresh_token),
        logout(replicas[(trial + 1) % 2], refresh_token),
      ]);
      tally.trials++;
      if (loggedOut === 204) tally.logouts++;
      const survivors = await survivorsAmong([answer]);
      const original = await refresh(replicas[0], refresh_token);
      tally.survivors += survivors > 0 || original.status === 200 ? 1 : 0;
    }
    expect(tally).toEqual({ trials: TRIALS, logouts: TRIALS, survivors: 0 });
  });

  it('a replay of the first token of a chain revokes every later token of it', async () => {
    const first = await login(replicas[0], 'bob');
    const second = await refresh(replicas[0], first.refresh_token);
    const third = await refresh(replicas[1], second.refreshToken as string);
    expect([second.status, third.status]).toEqual([200, 200]);
    expect(await refresh(replicas[1], first.refresh_token)).toMatchObject({
      status: 401,
      message: expect.stringMatching(/reused/),
    });
    expect(
      (await refresh(replicas[0], third.refreshToken as string)).status,
    ).toBe(401);
  });
});

describe('auth: AUTH_REFRESH_FAMILY_MAX_SECONDS bounds a family however often it rotates', () => {
  const FAMILY_MAX_SECONDS = 3;
  const services = new TestServices();
  let auth: ServiceProcess;

  beforeAll(async () => {
    auth = await services.auth({
      AUTH_REFRESH_FAMILY_MAX_SECONDS: String(FAMILY_MAX_SECONDS),
    });
  });
  afterAll(() => services.stop());

  it('rotating within the lifetime works; past it the latest successor is refused', async () => {
    const startedAt = Date.now();
    let { refresh_token: token } = await login(auth, 'alice');
    // Rotations well inside the lifetime: each one would slide a TTL forward.
    for (let rotation = 0; rotation < 2; rotation++) {
      await sleep(700);
      const rotated = await refresh(auth, token);
      expect(rotated.status).toBe(200);
      token = rotated.refreshToken as string;
    }
    // Past the family's absolute lifetime (measured from the login), though the latest successor
    // is only a moment old and its own sliding TTL is days.
    await sleep(
      Math.max(0, startedAt + FAMILY_MAX_SECONDS * 1000 + 1100 - Date.now()),
    );
    expect(await refresh(auth, token)).toEqual({
      status: 401,
      refreshToken: undefined,
      message: 'invalid refresh token',
    });
    // A new login starts a new family with a lifetime of its own.
    const fresh = await login(auth, 'alice');
    expect((await refresh(auth, fresh.refresh_token)).status).toBe(200);
  });

  it('refuses a family lifetime that is not a positive whole number of seconds', async () => {
    // A process that starts anyway is stopped here: it must not outlive the test.
    const outcome = await services
      .auth({ AUTH_REFRESH_FAMILY_MAX_SECONDS: '0' })
      .then(
        async (started) => {
          await started.stop();
          return 'started';
        },
        (error: Error) => error.message,
      );
    expect(outcome).toMatch(
      /auth: cannot start: .*AUTH_REFRESH_FAMILY_MAX_SECONDS/,
    );
  });
});

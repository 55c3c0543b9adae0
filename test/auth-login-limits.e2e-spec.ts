import type { ServiceProcess } from './support/service-process';
import { TestServices } from './support/services';

const PER_ADDRESS = 3;
const PER_ACCOUNT = 8;
const ACCOUNT_BLOCK_SECONDS = 300;
const USERS = ['carol', 'dave', 'erin', 'frank', 'grace']
  .map((name) => `${name}:${name}-password`)
  .join(',');

/**
 * POST /auth/login against real auth processes and a real Redis: the per-account limit that
 * rotating client addresses cannot dodge, and TRUST_PROXY deciding whose X-Forwarded-For counts.
 * The test client connects over loopback, so to an auth pod with the default TRUST_PROXY it is
 * the trusted proxy (the gateway's place) and its X-Forwarded-For names the client.
 */
describe('POST /auth/login: per-account limit and trusted proxies', () => {
  const services = new TestServices();
  let behindLoopbackProxy: ServiceProcess;
  let behindOtherProxy: ServiceProcess;

  beforeAll(async () => {
    const limits = {
      AUTH_USERS: USERS,
      AUTH_LOGIN_MAX_FAILURES: String(PER_ADDRESS),
      AUTH_LOGIN_ACCOUNT_MAX_FAILURES: String(PER_ACCOUNT),
      AUTH_LOGIN_ACCOUNT_BLOCK_SECONDS: String(ACCOUNT_BLOCK_SECONDS),
    };
    [behindLoopbackProxy, behindOtherProxy] = await Promise.all([
      services.auth(limits),
      // Only a proxy in 192.0.2.0/24 is trusted: the test client on loopback is not one.
      services.auth({ ...limits, TRUST_PROXY: '192.0.2.0/24' }),
    ]);
  });
  afterAll(() => services.stop());

  const login = (
    auth: ServiceProcess,
    username: string,
    password: string,
    clientAddress?: string,
  ) =>
    fetch(`${auth.url}/auth/login`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(clientAddress ? { 'x-forwarded-for': clientAddress } : {}),
      },
      body: JSON.stringify({ username, password }),
    }).then(async (response) => ({
      status: response.status,
      retryAfter: Number(response.headers.get('retry-after')),
      body: (await response.json()) as { message?: string },
    }));

  it('blocks an account after AUTH_LOGIN_ACCOUNT_MAX_FAILURES, whatever address each guess came from', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 12; attempt++) {
      const { status } = await login(
        behindLoopbackProxy,
        'carol',
        'guess',
        `10.0.0.${attempt}`,
      );
      statuses.push(status);
    }
    expect(statuses).toEqual([
      ...Array<number>(PER_ACCOUNT).fill(401),
      ...Array<number>(12 - PER_ACCOUNT).fill(429),
    ]);
    // The trade-off README states: the right password from a fresh address waits out the block.
    const owner = await login(
      behindLoopbackProxy,
      'carol',
      'carol-password',
      '10.200.0.1',
    );
    expect(owner.status).toBe(429);
    expect(owner.retryAfter).toBeGreaterThan(ACCOUNT_BLOCK_SECONDS - 30);
    expect(owner.retryAfter).toBeLessThanOrEqual(ACCOUNT_BLOCK_SECONDS);
    // Another account from the very addresses the guesses came from is not affected.
    expect(
      (await login(behindLoopbackProxy, 'dave', 'dave-password', '10.0.0.1'))
        .status,
    ).toBe(200);
  });

  it('lets exactly AUTH_LOGIN_ACCOUNT_MAX_FAILURES of 60 parallel guesses from 60 addresses reach the password check', async () => {
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, index) =>
        login(behindLoopbackProxy, 'erin', 'guess', `10.1.0.${index}`),
      ),
    );
    const count = (status: number) =>
      results.filter((result) => result.status === status).length;
    expect({ 401: count(401), 429: count(429) }).toEqual({
      401: PER_ACCOUNT,
      429: 60 - PER_ACCOUNT,
    });
  });

  it('ignores X-Forwarded-For from a peer outside TRUST_PROXY: the guesses all count on its address', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < PER_ADDRESS + 2; attempt++) {
      const { status } = await login(
        behindOtherProxy,
        'frank',
        'guess',
        `10.2.0.${attempt}`,
      );
      statuses.push(status);
    }
    expect(statuses).toEqual([
      ...Array<number>(PER_ADDRESS).fill(401),
      429,
      429,
    ]);
  });

  it('refunds the attempt of every successful login: logging in often never uses up a limit', async () => {
    const attempt = (password: string) =>
      login(behindLoopbackProxy, 'grace', password, '10.3.0.1').then(
        (result) => result.status,
      );
    expect([await attempt('typo'), await attempt('typo')]).toEqual([401, 401]);
    // More successful logins than either limit allows failures: each one's point is given back.
    for (let round = 0; round < PER_ACCOUNT + 2; round++) {
      expect(await attempt('grace-password')).toBe(200);
    }
    // A success from an address clears that address's failures (the account keeps its own two).
    const after: number[] = [];
    for (let round = 0; round <= PER_ADDRESS; round++)
      after.push(await attempt('typo'));
    expect(after).toEqual([...Array<number>(PER_ADDRESS).fill(401), 429]);
  });
});

import { createClient } from 'redis';
import type { TokenResponse } from '@app/contracts';
import type { TestRedisServer } from './support/redis-server';
import type { ServiceProcess } from './support/service-process';
import { login, TestServices } from './support/services';

/** `POST /auth/logout` with the refresh token in the body and the access token as bearer. */
async function logout(auth: ServiceProcess, tokens: TokenResponse) {
  const response = await fetch(`${auth.url}/auth/logout`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${tokens.access_token}`,
    },
    body: JSON.stringify({ refresh_token: tokens.refresh_token }),
  });
  expect(response.status).toBe(204);
}

const ordersWith = (order: ServiceProcess, accessToken: string) =>
  fetch(`${order.url}/orders`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });

/** The status each order replica answers GET /orders with, for one token. */
const statusesOn = (replicas: ServiceProcess[], accessToken: string) =>
  Promise.all(
    replicas.map(
      async (order) => (await ordersWith(order, accessToken)).status,
    ),
  );

/**
 * The stateless trade-off: a logged-out access token keeps working on every replica until its
 * `exp`, unless AUTH_REVOCATION=denylist brings a lookup back. Real auth, two real order
 * replicas sharing one Redis, real tokens; "cached" means the replica verified the token before
 * (VerifiedTokenCache), so a second request would not check its signature again.
 */
describe.each(['none', 'denylist'] as const)(
  'AUTH_REVOCATION=%s: an access token after logout',
  (revocation) => {
    const services = new TestServices();
    let redis: TestRedisServer;
    let auth: ServiceProcess;
    let replicas: ServiceProcess[];

    beforeAll(async () => {
      redis = await services.redis();
      const environment = { AUTH_REVOCATION: revocation };
      auth = await services.auth(environment);
      replicas = await Promise.all([
        services.order(auth, environment),
        services.order(auth, environment),
      ]);
    });
    afterAll(() => services.stop());

    const refusedOnEveryReplica = revocation === 'denylist';

    it(`is ${refusedOnEveryReplica ? 'refused at once' : 'still accepted'} by every order replica that had it cached`, async () => {
      const tokens = await login(auth);
      expect(await statusesOn(replicas, tokens.access_token)).toEqual([
        200, 200,
      ]);
      await logout(auth, tokens);
      const after = await Promise.all(
        replicas.map((order) => ordersWith(order, tokens.access_token)),
      );
      if (!refusedOnEveryReplica) {
        expect(after.map(({ status }) => status)).toEqual([200, 200]);
        return;
      }
      for (const response of after)
        expect(await response.json()).toEqual({
          statusCode: 401,
          error: 'Unauthorized',
          message: 'token revoked',
        });
    });

    it(`is ${refusedOnEveryReplica ? 'refused' : 'accepted'} by replicas that never saw it before the logout`, async () => {
      const tokens = await login(auth);
      await logout(auth, tokens);
      expect(await statusesOn(replicas, tokens.access_token)).toEqual(
        refusedOnEveryReplica ? [401, 401] : [200, 200],
      );
    });

    it('leaves the tokens of another login of the same user alone', async () => {
      const other = await login(auth);
      await logout(auth, await login(auth));
      expect(await statusesOn(replicas, other.access_token)).toEqual([
        200, 200,
      ]);
    });

    if (refusedOnEveryReplica)
      it('keeps the denylist entry until the token’s exp (plus the largest clock tolerance), not forever', async () => {
        const tokens = await login(auth);
        await logout(auth, tokens);
        const [, payload] = tokens.access_token.split('.');
        const { jti, exp } = JSON.parse(
          Buffer.from(payload, 'base64url').toString(),
        ) as { jti: string; exp: number };
        const client = createClient({ url: redis.url });
        await client.connect();
        try {
          const expiresAt = await client.expireTime(`auth:revoked:${jti}`);
          expect(expiresAt).toBe(exp + 300);
        } finally {
          await client.close();
        }
      });

    if (refusedOnEveryReplica)
      it('refuses a logout whose bearer token auth did not sign (nothing is listed)', async () => {
        const tokens = await login(auth);
        const [header, payload] = tokens.access_token.split('.');
        const response = await fetch(`${auth.url}/auth/logout`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${header}.${payload}.${'A'.repeat(86)}`,
          },
          body: JSON.stringify({ refresh_token: tokens.refresh_token }),
        });
        expect(response.status).toBe(401);
        expect(await response.json()).toEqual({
          statusCode: 401,
          error: 'Unauthorized',
          message: 'invalid access token',
        });
        expect(await statusesOn(replicas, tokens.access_token)).toEqual([
          200, 200,
        ]);
      });
  },
);

/**
 * Fail-closed: with the denylist on, a verifier that cannot ask Redis answers 503 rather than
 * accept a token it cannot check. The memory-store cart is the verifier here because its login
 * needs no Redis otherwise: without the denylist it keeps logging users in with Redis gone.
 */
describe.each(['none', 'denylist'] as const)(
  'AUTH_REVOCATION=%s: the memory cart’s login with the denylist’s Redis down',
  (revocation) => {
    const services = new TestServices();
    let redis: TestRedisServer;
    let auth: ServiceProcess;
    let order: ServiceProcess;
    let cart: ServiceProcess;

    beforeAll(async () => {
      redis = await services.redis();
      const environment = { AUTH_REVOCATION: revocation };
      auth = await services.auth(environment);
      order = await services.order(auth, environment);
      cart = await services.cart('memory', order, auth, {
        ...environment,
        REDIS_URL: redis.url,
      });
    });
    afterAll(() => services.stop());

    const cartLogin = (accessToken: string) =>
      fetch(`${cart.url}/legacy-cart/login`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}` },
      });

    it(`${revocation === 'denylist' ? 'refuses a revoked token, then answers 503' : 'accepts a logged-out token, then keeps answering 200'}`, async () => {
      const revoked = await login(auth);
      const live = await login(auth);
      expect((await cartLogin(live.access_token)).status).toBe(200);
      await logout(auth, revoked);
      expect((await cartLogin(revoked.access_token)).status).toBe(
        revocation === 'denylist' ? 401 : 200,
      );
      await redis.kill();
      const response = await cartLogin(live.access_token);
      if (revocation === 'none') {
        expect(response.status).toBe(200);
        return;
      }
      expect(await response.json()).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'Redis is unavailable; try again shortly',
      });
    });
  },
);

import request from 'supertest';
import { decodeProtectedHeader } from 'jose';
import type { ServiceProcess } from './support/service-process';
import { login, TestServices } from './support/services';

const orders = (order: ServiceProcess, token: string) =>
  request(order.url).get('/orders').set('authorization', `Bearer ${token}`);

describe('signing keys across replicas: shared key set, per-pod keys, rotation', () => {
  const services = new TestServices();
  afterAll(() => services.stop());

  it('AUTH_KEY_MODE=shared: a token from one auth process verifies at an order process that only knows the other', async () => {
    const keys = services.newKeySet('ES256');
    const [authA, authB] = await Promise.all([
      services.auth({}, { keys }),
      services.auth({}, { keys }),
    ]);
    const order = await services.order(authA);
    const fromB = await login(authB);
    expect(decodeProtectedHeader(fromB.access_token).alg).toBe('ES256');
    await orders(order, fromB.access_token).expect(200);
  });

  it("AUTH_KEY_MODE=per-pod: each replica signs with its own key; the other replica's tokens fail", async () => {
    const [authA, authB] = await Promise.all([
      services.auth({}, { keys: 'per-pod' }),
      services.auth({}, { keys: 'per-pod' }),
    ]);
    const order = await services.order(authA);
    const fromA = await login(authA);
    const fromB = await login(authB);
    expect(decodeProtectedHeader(fromA.access_token).kid).not.toBe(
      decodeProtectedHeader(fromB.access_token).kid,
    );
    await orders(order, fromA.access_token).expect(200);
    const rejected = await orders(order, fromB.access_token).expect(401);
    expect(rejected.body.message).toMatch(/unknown key/);
  });

  it('rotation: after AUTH_ACTIVE_KID moves to a new key, tokens of the old key keep verifying', async () => {
    const keys = services.newKeySet();
    const [oldKid] = keys.kids;
    const authBefore = await services.auth({}, { keys });
    const order = await services.order(authBefore, {
      AUTH_JWKS_COOLDOWN_SECONDS: '0',
    });
    const oldToken = (await login(authBefore)).access_token;
    await orders(order, oldToken).expect(200);

    // Rotate: publish a second key and make it the active one; restart auth on the same port.
    const newKid = keys.add('ES256');
    await authBefore.stop();
    const authAfter = await services.auth(
      { PORT: String(authBefore.port), AUTH_ACTIVE_KID: newKid },
      { keys },
    );
    const jwks = await request(authAfter.url)
      .get('/auth/.well-known/jwks.json')
      .expect(200);
    expect(
      jwks.body.keys.map((key: { kid: string }) => key.kid).sort(),
    ).toEqual([oldKid, newKid].sort());
    const newToken = (await login(authAfter)).access_token;
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    // The order service refetches the JWKS for the unknown kid and accepts both generations.
    await orders(order, newToken).expect(200);
    await orders(order, oldToken).expect(200);
  });

  it('refuses to start with several keys and no AUTH_ACTIVE_KID, naming the variable', async () => {
    const keys = services.newKeySet();
    keys.add();
    const auth = services.auth({}, { keys });
    await expect(auth).rejects.toThrow(
      /AUTH_ACTIVE_KID: required when several keys/,
    );
  });
});

import {
  createHmac,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, decodeJwt } from 'jose';
import request from 'supertest';
import type { ServiceProcess } from './support/service-process';
import { login, TEST_ISSUER, TestServices } from './support/services';

const base64url = (value: object | string) =>
  Buffer.from(
    typeof value === 'string' ? value : JSON.stringify(value),
  ).toString('base64url');

/**
 * Every way a forged or misused token could get past the order service. Each row is rejected
 * by one specific check; remove that check and its row lets the forged token through.
 */
describe('order rejects forged and misused bearer tokens with 401 (the JWT attack matrix)', () => {
  const services = new TestServices();
  let auth: ServiceProcess;
  let order: ServiceProcess;
  let realKey: KeyObject;
  let kid: string;
  let valid: { access_token: string; refresh_token: string };

  const now = () => Math.floor(Date.now() / 1000);
  /** Signs claims with the real signing key: only the named claim is wrong. */
  const signWithRealKey = (
    claims: Record<string, unknown>,
    header: Record<string, unknown> = {},
  ) =>
    new SignJWT({ sub: 'alice', jti: 'attack', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt', ...header })
      .sign(realKey);
  const baseClaims = () => ({
    iss: TEST_ISSUER,
    aud: 'what-survives-api',
    iat: now(),
    exp: now() + 600,
  });

  beforeAll(async () => {
    kid = services.keys.kids[0];
    realKey = createPrivateKey(
      readFileSync(join(services.keys.directory, `${kid}.pem`)),
    );
    auth = await services.auth();
    order = await services.order(auth, { AUTH_CLOCK_TOLERANCE_SECONDS: '5' });
    valid = await login(auth);
  });
  afterAll(() => services.stop());

  const expectRejected = async (token: string | undefined, reason?: RegExp) => {
    const call = request(order.url).get('/orders');
    if (token !== undefined) call.set('authorization', `Bearer ${token}`);
    const response = await call.expect(401);
    expect(response.body).toMatchObject({
      statusCode: 401,
      error: 'Unauthorized',
    });
    if (reason) expect(response.body.message).toMatch(reason);
  };

  it('control: the genuine token and a correctly forged-by-the-real-key token pass', async () => {
    await request(order.url)
      .get('/orders')
      .set('authorization', `Bearer ${valid.access_token}`)
      .expect(200);
    await request(order.url)
      .get('/orders')
      .set('authorization', `Bearer ${await signWithRealKey(baseClaims())}`)
      .expect(200);
  });

  it('no token', async () => {
    await expectRejected(undefined, /missing bearer token/);
  });

  it('a non-Bearer authorization scheme', async () => {
    const response = await request(order.url)
      .get('/orders')
      .set('authorization', `Basic ${base64url('alice:alice-password')}`)
      .expect(401);
    expect(response.body.message).toMatch(/missing bearer token/);
  });

  it('alg: none (unsigned token)', async () => {
    const claims = decodeJwt(valid.access_token);
    const unsigned = `${base64url({ alg: 'none', typ: 'at+jwt', kid })}.${base64url(claims)}.`;
    await expectRejected(unsigned);
  });

  it('tampered payload (sub changed after signing)', async () => {
    const [header, payload, signature] = valid.access_token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const tampered = `${header}.${base64url({ ...claims, sub: 'bob' })}.${signature}`;
    await expectRejected(tampered);
  });

  it('HS256 signed with the public key as the HMAC secret (algorithm confusion)', async () => {
    const jwks = (await request(auth.url).get('/auth/.well-known/jwks.json'))
      .body;
    const secret = JSON.stringify(jwks.keys[0]);
    const signingInput = `${base64url({ alg: 'HS256', kid, typ: 'at+jwt' })}.${base64url(baseClaims())}`;
    const mac = createHmac('sha256', secret)
      .update(signingInput)
      .digest('base64url');
    await expectRejected(`${signingInput}.${mac}`, /algorithm not allowed/);
  });

  it('signed by a foreign key that claims the real kid', async () => {
    const foreign = generateKeyPairSync('ec', {
      namedCurve: 'prime256v1',
    }).privateKey;
    const forged = await new SignJWT({
      ...baseClaims(),
      sub: 'alice',
      jti: 'x',
    })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
      .sign(foreign);
    await expectRejected(forged);
  });

  it('an unknown kid', async () => {
    await expectRejected(
      await signWithRealKey(baseClaims(), { kid: 'no-such-key' }),
      /unknown key/,
    );
  });

  it('expired beyond the clock tolerance', async () => {
    const expired = await signWithRealKey({
      ...baseClaims(),
      iat: now() - 120,
      exp: now() - 30,
    });
    await expectRejected(expired, /expired/);
  });

  it('iat in the future beyond the clock tolerance', async () => {
    await expectRejected(
      await signWithRealKey({ ...baseClaims(), iat: now() + 60 }),
      /iat/,
    );
  });

  it('exp ten years out (a longer life than the maximum token lifetime)', async () => {
    await expectRejected(
      await signWithRealKey({
        ...baseClaims(),
        exp: now() + 10 * 365 * 86_400,
      }),
      /exp/,
    );
  });

  it('issued longer ago than the maximum token lifetime, though exp is still ahead', async () => {
    await expectRejected(
      await signWithRealKey({
        ...baseClaims(),
        iat: now() - 2 * 3600,
        exp: now() + 60,
      }),
    );
  });

  it('no iat', async () => {
    const { iat: _omitted, ...claims } = baseClaims();
    await expectRejected(await signWithRealKey(claims), /iat/);
  });

  it('nbf in the future', async () => {
    await expectRejected(
      await signWithRealKey({ ...baseClaims(), nbf: now() + 300 }),
      /nbf/,
    );
  });

  it('wrong issuer', async () => {
    await expectRejected(
      await signWithRealKey({ ...baseClaims(), iss: 'https://evil.example' }),
      /iss/,
    );
  });

  it('wrong audience', async () => {
    await expectRejected(
      await signWithRealKey({ ...baseClaims(), aud: 'another-api' }),
      /aud/,
    );
  });

  it('a JWT of another type (typ is not at+jwt)', async () => {
    await expectRejected(
      await signWithRealKey(baseClaims(), { typ: 'JWT' }),
      /typ/,
    );
  });

  it('a refresh token used as an access token', async () => {
    await expectRejected(valid.refresh_token);
  });

  it('accepts an iat a moment ahead, within the clock tolerance (clocks of pods differ)', async () => {
    const issuedAhead = await signWithRealKey({
      ...baseClaims(),
      iat: now() + 2,
    });
    await request(order.url)
      .get('/orders')
      .set('authorization', `Bearer ${issuedAhead}`)
      .expect(200);
  });

  it('accepts a token expired within the clock tolerance (tolerance is small, not zero)', async () => {
    const justExpired = await signWithRealKey({
      ...baseClaims(),
      exp: now() - 2,
    });
    await request(order.url)
      .get('/orders')
      .set('authorization', `Bearer ${justExpired}`)
      .expect(200);
  });
});

import { createPublicKey } from 'node:crypto';
import { verify } from 'jsonwebtoken';
import request from 'supertest';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { ServiceProcess } from './support/service-process';
import { login, type TestKeySet, TestServices } from './support/services';

describe('auth: /auth/login, /auth/refresh, /auth/logout, JWKS', () => {
  const services = new TestServices();
  let keys: TestKeySet;
  let auth: ServiceProcess;

  beforeAll(async () => {
    keys = services.keys;
    auth = await services.auth({ AUTH_LOGIN_MAX_FAILURES: '3' });
  });
  afterAll(() => services.stop());

  describe('POST /auth/login', () => {
    it('returns an RFC 6749 token pair with a 15-minute asymmetric access token', async () => {
      const response = await request(auth.url)
        .post('/auth/login')
        .send({ username: 'alice', password: 'alice-password' })
        .expect(200);
      expect(response.headers['x-pod-name']).toBe(`auth-${auth.port}`);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 900,
        refresh_token: expect.any(String),
      });
      const header = decodeProtectedHeader(response.body.access_token);
      expect(header).toEqual({
        alg: 'ES256',
        kid: keys.kids[0],
        typ: 'at+jwt',
      });
      const claims = decodeJwt(response.body.access_token);
      expect(claims).toEqual({
        iss: 'http://auth.test',
        aud: 'what-survives-api',
        sub: 'alice',
        iat: expect.any(Number),
        exp: expect.any(Number),
        jti: expect.any(String),
      });
      expect(claims.exp! - claims.iat!).toBe(900);
    });

    it('gives every token its own jti', async () => {
      const [first, second] = await Promise.all([login(auth), login(auth)]);
      expect(decodeJwt(first.access_token).jti).not.toBe(
        decodeJwt(second.access_token).jti,
      );
    });

    it('rejects a wrong password and an unknown user alike with 401', async () => {
      const wrong = await request(auth.url)
        .post('/auth/login')
        .send({ username: 'bob', password: 'nope' })
        .expect(401);
      const unknown = await request(auth.url)
        .post('/auth/login')
        .send({ username: 'mallory', password: 'nope' })
        .expect(401);
      expect(wrong.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'invalid username or password',
      });
      expect(unknown.body).toEqual(wrong.body);
    });

    it('answers 429 with Retry-After once a user fails too often from one address', async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        await request(auth.url)
          .post('/auth/login')
          .set('x-forwarded-for', '10.1.2.3')
          .send({ username: 'alice', password: 'guess' })
          .expect(401);
      }
      const limited = await request(auth.url)
        .post('/auth/login')
        .set('x-forwarded-for', '10.1.2.3')
        .send({ username: 'alice', password: 'alice-password' })
        .expect(429);
      expect(limited.headers['retry-after']).toMatch(/^\d+$/);
      expect(limited.body.error).toBe('Too Many Requests');
      // Another client address is not punished for the first one's failures.
      await request(auth.url)
        .post('/auth/login')
        .set('x-forwarded-for', '10.9.9.9')
        .send({ username: 'alice', password: 'alice-password' })
        .expect(200);
    });

    it.each([
      [{ username: 'alice' }, 'password'],
      [{ username: 'alice', password: 42 }, 'password'],
      [{ username: 'alice', password: 'x', admin: true }, 'admin'],
      [{ username: '', password: 'x' }, 'username'],
    ])('rejects the body %j with 400 naming %s', async (body, field) => {
      const response = await request(auth.url)
        .post('/auth/login')
        .send(body)
        .expect(400);
      expect(response.body.statusCode).toBe(400);
      expect(response.body.error).toBe('Bad Request');
      expect(JSON.stringify(response.body.message)).toContain(field);
    });

    it('rejects malformed JSON with a JSON 400, no stack trace', async () => {
      const response = await request(auth.url)
        .post('/auth/login')
        .set('content-type', 'application/json')
        .send('{"username":')
        .expect(400);
      expect(response.body.error).toBe('Bad Request');
      expect(JSON.stringify(response.body)).not.toMatch(/at .*\.js:\d+/);
    });

    it('rejects a 2 MB body with 413 JSON, still naming the pod', async () => {
      const response = await request(auth.url)
        .post('/auth/login')
        .set('content-type', 'application/json')
        .send(
          JSON.stringify({ username: 'a'.repeat(2_000_000), password: 'x' }),
        )
        .expect(413);
      expect(response.body).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: 'request entity too large',
      });
      expect(response.headers['x-pod-name']).toBe(`auth-${auth.port}`);
    });
  });

  describe('POST /auth/refresh', () => {
    it('rotates: a new pair for a valid token, and the successor refreshes in turn', async () => {
      const first = await login(auth, 'bob');
      const rotated = await request(auth.url)
        .post('/auth/refresh')
        .send({ refresh_token: first.refresh_token })
        .expect(200);
      expect(rotated.body.refresh_token).not.toBe(first.refresh_token);
      expect(decodeJwt(rotated.body.access_token).sub).toBe('bob');
      await request(auth.url)
        .post('/auth/refresh')
        .send({ refresh_token: rotated.body.refresh_token })
        .expect(200);
    });

    it('detects reuse: replaying a spent token is 401 and revokes the whole family', async () => {
      const first = await login(auth, 'bob');
      const second = await request(auth.url)
        .post('/auth/refresh')
        .send({ refresh_token: first.refresh_token })
        .expect(200);
      const replay = await request(auth.url)
        .post('/auth/refresh')
        .send({ refresh_token: first.refresh_token })
        .expect(401);
      expect(replay.body.message).toMatch(/reused/);
      // The legitimate successor dies with its family.
      await request(auth.url)
        .post('/auth/refresh')
        .send({ refresh_token: second.body.refresh_token })
        .expect(401);
    });

    it('lets exactly one of two concurrent refreshes of one token win', async () => {
      const { refresh_token } = await login(auth, 'bob');
      const results = await Promise.all(
        [1, 2, 3, 4].map(() =>
          request(auth.url).post('/auth/refresh').send({ refresh_token }),
        ),
      );
      expect(results.filter((result) => result.status === 200)).toHaveLength(1);
    });

    it('rejects an unknown refresh token with 401', async () => {
      await request(auth.url)
        .post('/auth/refresh')
        .send({ refresh_token: 'not-a-token' })
        .expect(401);
    });
  });

  describe('POST /auth/logout', () => {
    it('answers 204 and revokes the refresh token', async () => {
      const { refresh_token } = await login(auth, 'alice');
      await request(auth.url)
        .post('/auth/logout')
        .send({ refresh_token })
        .expect(204);
      await request(auth.url)
        .post('/auth/refresh')
        .send({ refresh_token })
        .expect(401);
    });
  });

  describe('GET /auth/.well-known/jwks.json', () => {
    it('publishes public keys only', async () => {
      const response = await request(auth.url)
        .get('/auth/.well-known/jwks.json')
        .expect(200);
      expect(response.body.keys).toHaveLength(1);
      const [key] = response.body.keys;
      expect(key).toMatchObject({
        kid: keys.kids[0],
        alg: 'ES256',
        use: 'sig',
        kty: 'EC',
      });
      for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
        expect(key).not.toHaveProperty(privateMember);
      }
    });

    it('is enough for a verifier nobody here wrote: a JWKS fetch and jsonwebtoken', async () => {
      const { access_token } = await login(auth);
      const { kid } = decodeProtectedHeader(access_token);
      const jwks = (await request(auth.url).get('/auth/.well-known/jwks.json'))
        .body as { keys: ({ kid: string } & Record<string, unknown>)[] };
      const jwk = jwks.keys.find((key) => key.kid === kid);
      const claims = verify(
        access_token,
        createPublicKey({ key: jwk as never, format: 'jwk' }),
        {
          algorithms: ['ES256'],
          issuer: 'http://auth.test',
          audience: 'what-survives-api',
        },
      );
      expect(claims).toMatchObject({ sub: 'alice' });
    });
  });
});

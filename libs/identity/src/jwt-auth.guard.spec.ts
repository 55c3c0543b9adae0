import { Controller, Get, type INestApplication } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { Public } from '@app/platform';
import { ACCESS_TOKEN_TYPE, type AuthenticatedUser } from './access-token';
import { CurrentUser } from './current-user.decorator';
import { IdentityModule } from './identity.module';
import { JwksKeySet } from './jwks-key-set';
import { SessionAuthenticated } from './session-authenticated.decorator';

const ISSUER = 'http://auth.test/auth';
const AUDIENCE = 'what-survives-api';

@Controller()
class ProbeController {
  @Get('me')
  me(@CurrentUser() user: AuthenticatedUser) {
    return { id: user.id };
  }

  @Public()
  @Get('open')
  open() {
    return { open: true };
  }

  @SessionAuthenticated()
  @Get('session')
  session() {
    return { session: true };
  }
}

/**
 * A real JWKS over real HTTP, real ES256 signatures (made with jose, not the library under
 * test), a real Nest app: only the strategy, the guard and the cache in front of it are tested.
 */
describe('JwtAuthGuard + JwtStrategy (passport-jwt) and the verified-token cache', () => {
  let server: Server;
  let privateKey: CryptoKey;
  let jwksUrl: string;
  let jwksFetches = 0;
  /** What the JWKS endpoint publishes right now (a test may retire or add a key). */
  let published: object[] = [];
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    published = [
      { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' },
    ];
    server = createServer((_request, response) => {
      jwksFetches += 1;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function start(
    clockTolerance = 0,
    maxLifetime = 3600,
    url = jwksUrl,
    cooldownSeconds = 30,
  ) {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          load: [
            () => ({
              AUTH_JWKS_URL: url,
              AUTH_ISSUER: ISSUER,
              AUTH_AUDIENCE: AUDIENCE,
              AUTH_CLOCK_TOLERANCE_SECONDS: clockTolerance,
              AUTH_MAX_TOKEN_LIFETIME_SECONDS: maxLifetime,
              AUTH_JWKS_COOLDOWN_SECONDS: cooldownSeconds,
            }),
          ],
        }),
        IdentityModule,
      ],
      controllers: [ProbeController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    apps.push(app);
    const keySet = app.get(JwksKeySet);
    const keyLookups = jest.spyOn(keySet, 'keyFor');
    const get = (token?: string) => {
      const call = request(app.getHttpServer()).get('/me');
      return token === undefined
        ? call
        : call.set('authorization', `Bearer ${token}`);
    };
    return { app, keySet, keyLookups, get };
  }

  const token = (
    expiresInSeconds: number,
    subject = 'alice',
    issuedAt = Math.floor(Date.now() / 1000),
    kid = 'k1',
  ) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(subject)
      .setJti(crypto.randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + expiresInSeconds)
      .sign(privateKey);

  it('lets a @Public() route through without a token, refuses the others with a JSON 401', async () => {
    const { app, get } = await start();
    await request(app.getHttpServer()).get('/open').expect(200, { open: true });
    const response = await get().expect(401);
    expect(response.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'missing bearer token',
    });
  });

  it('lets a @SessionAuthenticated() route through without a token (its own guard checks the session)', async () => {
    const { app } = await start();
    await request(app.getHttpServer())
      .get('/session')
      .expect(200, { session: true });
  });

  it('checks a token once through passport, then answers from the cache', async () => {
    const { get, keyLookups } = await start();
    const valid = await token(600);
    await get(valid).expect(200, { id: 'alice' });
    expect(keyLookups).toHaveBeenCalledTimes(1);
    // From now on any verification fails: only the cache can answer.
    keyLookups.mockImplementation(() => {
      throw new Error('verified again');
    });
    await get(valid).expect(200, { id: 'alice' });
    expect(keyLookups).toHaveBeenCalledTimes(1);
  });

  it('never answers a different token from the cache, even one differing only in its signature', async () => {
    const { get, keyLookups } = await start();
    const valid = await token(600);
    await get(valid).expect(200);
    const last = valid.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${valid.slice(0, -2)}${last}${valid.at(-1)}`;
    const refused = await get(tampered).expect(401);
    expect(refused.body.message).toBe('invalid token');
    await get(await token(600, 'mallory')).expect(200, { id: 'mallory' });
    expect(keyLookups).toHaveBeenCalledTimes(3);
  });

  it('stops answering from the cache once the signing key has left the key set', async () => {
    const { get, keySet } = await start();
    const valid = await token(600);
    await get(valid).expect(200);
    const retired = published;
    published = [];
    try {
      await keySet.reload();
      const response = await get(valid).expect(401);
      expect(response.body.message).toBe('token signed by an unknown key');
    } finally {
      published = retired;
    }
  });

  it('refetches the JWKS on an unknown kid, at most once per cooldown', async () => {
    const { get } = await start();
    await get(await token(600)).expect(200);
    const before = jwksFetches;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await get(
        await token(600, 'alice', undefined, 'forged-kid'),
      ).expect(401);
      expect(response.body.message).toBe('token signed by an unknown key');
    }
    expect(jwksFetches - before).toBe(0);
  });

  it('finds a key published after its first fetch (rotation) by a refetch once the cooldown is over', async () => {
    const rotated = await generateKeyPair('ES256', { extractable: true });
    const { get } = await start(0, 3600, jwksUrl, 1);
    // The first lookup fetches the set as it is now, without k2.
    await get(await token(600)).expect(200);
    const before = published;
    published = [
      ...before,
      { ...(await exportJWK(rotated.publicKey)), kid: 'k2', alg: 'ES256' },
    ];
    try {
      const now = Math.floor(Date.now() / 1000);
      const signedWithK2 = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'k2', typ: ACCESS_TOKEN_TYPE })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject('bob')
        .setJti(crypto.randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(rotated.privateKey);
      // Within the cooldown of the first fetch: no refetch, so k2 is still unknown.
      await get(signedWithK2).expect(401);
      await sleep(1100);
      await get(signedWithK2).expect(200, { id: 'bob' });
    } finally {
      published = before;
    }
  });

  it('answers 503, not 401, when the key set cannot be fetched', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) =>
      closed.listen(0, '127.0.0.1', resolve),
    );
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { get } = await start(0, 3600, `http://127.0.0.1:${port}/jwks`);
    const response = await get(await token(600)).expect(503);
    expect(response.body.message).toBe(
      'token signing keys are unavailable; try again',
    );
  });

  it('never caches a rejected token', async () => {
    const { get, keyLookups } = await start();
    const expired = await token(-10);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await get(expired).expect(401);
      expect(response.body.message).toBe('token expired');
    }
    expect(keyLookups).toHaveBeenCalledTimes(2);
  });

  it('forgets a token when it expires, not a cache period later', async () => {
    const { get } = await start(0);
    const shortLived = await token(2);
    await get(shortLived).expect(200, { id: 'alice' });
    // exp has a one-second resolution: wait past the end of that second.
    await sleep(3100);
    const response = await get(shortLived).expect(401);
    expect(response.body.message).toBe('token expired');
  });

  describe('the maximum token lifetime (AUTH_MAX_TOKEN_LIFETIME_SECONDS)', () => {
    const now = () => Math.floor(Date.now() / 1000);

    it('accepts a token claiming exactly the maximum life, refuses one second more', async () => {
      const { get } = await start(5, 900);
      await get(await token(900)).expect(200);
      const response = await get(await token(901)).expect(401);
      expect(response.body.message).toBe('token claim rejected: exp');
    });

    it('tolerates an iat up to the clock tolerance ahead, no further', async () => {
      const { get } = await start(5, 900);
      await get(await token(600, 'alice', now() + 3)).expect(200);
      const response = await get(await token(600, 'alice', now() + 30)).expect(
        401,
      );
      expect(response.body.message).toBe('token claim rejected: iat');
    });
  });
});

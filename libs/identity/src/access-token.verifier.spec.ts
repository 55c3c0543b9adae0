import { ConfigService } from '@nestjs/config';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ACCESS_TOKEN_TYPE,
  AccessTokenVerifier,
} from './access-token.verifier';

const ISSUER = 'http://auth.test/auth';
const AUDIENCE = 'what-survives-api';

/** A real JWKS over real HTTP, and real ES256 signatures: only the verifier is under test. */
describe('AccessTokenVerifier: the verified-token cache', () => {
  let server: Server;
  let privateKey: CryptoKey;
  let jwksUrl: string;
  /** What the JWKS endpoint publishes right now (a test may retire the key). */
  let published: object[] = [];

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    const jwk = {
      ...(await exportJWK(pair.publicKey)),
      kid: 'k1',
      alg: 'ES256',
    };
    published = [jwk];
    server = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const verifier = (clockTolerance = 0, maxLifetime = 3600) =>
    new AccessTokenVerifier(
      new ConfigService({
        AUTH_JWKS_URL: jwksUrl,
        AUTH_ISSUER: ISSUER,
        AUTH_AUDIENCE: AUDIENCE,
        AUTH_CLOCK_TOLERANCE_SECONDS: clockTolerance,
        AUTH_MAX_TOKEN_LIFETIME_SECONDS: maxLifetime,
        AUTH_JWKS_COOLDOWN_SECONDS: 30,
      }) as never,
    );

  const token = (
    expiresInSeconds: number,
    subject = 'alice',
    issuedAt = Math.floor(Date.now() / 1000),
  ) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: ACCESS_TOKEN_TYPE })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(subject)
      .setJti(crypto.randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + expiresInSeconds)
      .sign(privateKey);

  type KeySet = (() => never) & {
    jwks: () => unknown;
    reload(): Promise<void>;
  };
  const keySetOf = (subject: AccessTokenVerifier) =>
    (subject as unknown as { keySet: KeySet }).keySet;

  /** From now on, any signature check this verifier makes fails: only its cache can answer. */
  const breakSignatureChecks = (subject: AccessTokenVerifier) => {
    const original = keySetOf(subject);
    (subject as unknown as { keySet: KeySet }).keySet = Object.assign(
      () => {
        throw new Error('signature checked again');
      },
      { jwks: () => original.jwks(), reload: () => original.reload() },
    );
  };

  it('checks a token once, then answers from the cache', async () => {
    const subject = verifier();
    const valid = await token(600);
    const first = await subject.verify(valid);
    breakSignatureChecks(subject);
    await expect(subject.verify(valid)).resolves.toEqual(first);
    expect(first).toMatchObject({ id: 'alice', accessToken: valid });
  });

  it('never answers a different token from the cache, even one differing only in its signature', async () => {
    const subject = verifier();
    const valid = await token(600);
    await subject.verify(valid);
    breakSignatureChecks(subject);
    const last = valid.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${valid.slice(0, -2)}${last}${valid.at(-1)}`;
    await expect(subject.verify(tampered)).rejects.toThrow(/invalid token/);
    await expect(subject.verify(await token(600, 'mallory'))).rejects.toThrow(
      /invalid token/,
    );
  });

  it('stops answering from the cache once the signing key has left the key set', async () => {
    const subject = verifier();
    const valid = await token(600);
    await subject.verify(valid);
    const retired = published;
    published = [];
    try {
      await keySetOf(subject).reload();
      await expect(subject.verify(valid)).rejects.toThrow(
        /unknown key|invalid token/,
      );
    } finally {
      published = retired;
    }
  });

  it('never caches a rejected token', async () => {
    const subject = verifier();
    const expired = await token(-10);
    await expect(subject.verify(expired)).rejects.toThrow(/token expired/);
    await expect(subject.verify(expired)).rejects.toThrow(/token expired/);
  });

  it('forgets a token when it expires, not a cache period later', async () => {
    const subject = verifier(0);
    const shortLived = await token(2);
    await expect(subject.verify(shortLived)).resolves.toMatchObject({
      id: 'alice',
    });
    // exp has a one-second resolution: wait past the end of that second.
    await sleep(3100);
    await expect(subject.verify(shortLived)).rejects.toThrow(/token expired/);
  });

  describe('the maximum token lifetime (AUTH_MAX_TOKEN_LIFETIME_SECONDS)', () => {
    const now = () => Math.floor(Date.now() / 1000);

    it('accepts a token claiming exactly the maximum life, refuses one second more', async () => {
      const subject = verifier(5, 900);
      await expect(subject.verify(await token(900))).resolves.toMatchObject({
        id: 'alice',
      });
      await expect(subject.verify(await token(901))).rejects.toThrow(
        'token claim rejected: exp',
      );
    });

    it('tolerates an iat up to the clock tolerance ahead, no further', async () => {
      const subject = verifier(5, 900);
      await expect(
        subject.verify(await token(600, 'alice', now() + 3)),
      ).resolves.toMatchObject({ id: 'alice' });
      await expect(
        subject.verify(await token(600, 'alice', now() + 30)),
      ).rejects.toThrow('token claim rejected: iat');
    });
  });
});

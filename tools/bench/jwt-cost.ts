import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createLocalJWKSet, exportJWK, jwtVerify, SignJWT } from 'jose';
import {
  ACCESS_TOKEN_ALGORITHMS,
  ACCESS_TOKEN_AUDIENCE,
  type AccessTokenAlgorithm,
} from '@app/contracts';
import { ACCESS_TOKEN_TYPE } from '@app/identity/access-token';

export interface JwtCost {
  alg: AccessTokenAlgorithm;
  /** One jwtVerify with the options AccessTokenVerifier uses, against a JWKS: the per-request cost. */
  verifyMicroseconds: number;
  /** One signature: the per-login (and per-refresh) cost in auth. */
  signMicroseconds: number;
}

function keyPair(alg: AccessTokenAlgorithm) {
  if (alg === 'ES256')
    return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

/**
 * Time per call of `operation`: the fastest of ten batches of about `durationMs / 10` each. On a
 * shared machine a mean absorbs every time slice another process took; the fastest batch is
 * the closest to the cost itself.
 */
async function timeEach(
  operation: () => Promise<unknown>,
  durationMs: number,
): Promise<number> {
  for (let index = 0; index < 50; index++) await operation(); // warm-up
  let fastest = Infinity;
  for (let batch = 0; batch < 10; batch++) {
    let count = 0;
    const started = performance.now();
    while (performance.now() - started < durationMs / 10) {
      await operation();
      count++;
    }
    fastest = Math.min(fastest, ((performance.now() - started) * 1000) / count);
  }
  return fastest;
}

/**
 * What verifying an access token costs in CPU alone, per algorithm auth may sign with — the
 * part of "identity per request" that no network or Redis hides. In-process, one core.
 */
export async function measureJwtCost(durationMs: number): Promise<JwtCost[]> {
  const issuer = 'http://bench/auth';
  const results: JwtCost[] = [];
  for (const alg of ACCESS_TOKEN_ALGORITHMS) {
    const { privateKey, publicKey } = keyPair(alg);
    const kid = `bench-${alg.toLowerCase()}`;
    const sign = () =>
      new SignJWT({})
        .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYPE })
        .setIssuer(issuer)
        .setAudience(ACCESS_TOKEN_AUDIENCE)
        .setSubject('alice')
        .setIssuedAt()
        .setExpirationTime('15m')
        .setJti(randomUUID())
        .sign(privateKey);
    const token = await sign();
    const keySet = createLocalJWKSet({
      keys: [{ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }],
    });
    const verify = () =>
      jwtVerify(token, keySet, {
        algorithms: [...ACCESS_TOKEN_ALGORITHMS],
        issuer,
        audience: ACCESS_TOKEN_AUDIENCE,
        typ: ACCESS_TOKEN_TYPE,
        clockTolerance: 5,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      });
    results.push({
      alg,
      verifyMicroseconds: await timeEach(verify, durationMs),
      signMicroseconds: await timeEach(sign, durationMs / 2),
    });
  }
  return results;
}

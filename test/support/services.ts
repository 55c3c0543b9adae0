import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenResponse } from '@app/contracts';
import { generateDevKey } from '../../tools/keys/generate-dev-keys';
import { ServiceProcess } from './service-process';

export const TEST_ISSUER = 'http://auth.test';
export const DEMO_USERS = 'alice:alice-password,bob:bob-password';

/** A fresh signing key set in a temp dir, as `npm run keys` makes one. */
export class TestKeySet {
  readonly directory = mkdtempSync(join(tmpdir(), 'what-survives-keys-'));
  readonly kids: string[] = [];

  constructor(algorithm: 'EdDSA' | 'ES256' | 'RS256' = 'EdDSA') {
    this.add(algorithm);
  }

  add(algorithm: 'EdDSA' | 'ES256' | 'RS256' = 'EdDSA'): string {
    const kid = generateDevKey(this.directory, algorithm);
    this.kids.push(kid);
    return kid;
  }

  remove(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}

export function startAuth(
  redisUrl: string,
  keys: TestKeySet | undefined,
  environment: Record<string, string> = {},
): Promise<ServiceProcess> {
  return ServiceProcess.start('auth', {
    REDIS_URL: redisUrl,
    AUTH_ISSUER: TEST_ISSUER,
    AUTH_USERS: DEMO_USERS,
    ...(keys
      ? { AUTH_KEYS_DIR: keys.directory }
      : { AUTH_KEY_MODE: 'per-pod' }),
    ...environment,
  });
}

export function startOrder(
  redisUrl: string,
  auth: ServiceProcess,
  environment: Record<string, string> = {},
): Promise<ServiceProcess> {
  return ServiceProcess.start('order', {
    REDIS_URL: redisUrl,
    AUTH_ISSUER: TEST_ISSUER,
    AUTH_JWKS_URL: `${auth.url}/auth/.well-known/jwks.json`,
    ...environment,
  });
}

export async function login(
  auth: ServiceProcess | string,
  username = 'alice',
  password = `${username}-password`,
): Promise<TokenResponse> {
  const base = typeof auth === 'string' ? auth : auth.url;
  const response = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200) {
    throw new Error(
      `login of ${username} failed: ${response.status} ${await response.text()}`,
    );
  }
  return (await response.json()) as TokenResponse;
}

export async function stopAll(
  ...services: Array<{ stop(): Promise<unknown> } | undefined>
) {
  await Promise.all(services.map((service) => service?.stop()));
}

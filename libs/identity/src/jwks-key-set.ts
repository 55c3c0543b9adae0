import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import {
  ACCESS_TOKEN_ALGORITHMS,
  type AccessTokenAlgorithm,
} from '@app/contracts';
import type { IdentityEnvironment } from './identity-environment';

export interface VerificationKey {
  alg: AccessTokenAlgorithm;
  /** Parsed once when the JWKS is fetched: jsonwebtoken takes it as is, no PEM per request. */
  key: KeyObject;
}

/** The `kid` names no key auth publishes, even after a refetch (or within the cooldown). */
export class UnknownKeyError extends Error {}

/** The JWKS is refetched when a key is asked for and the set is older than this. */
export const JWKS_MAX_AGE_MS = 10 * 60_000;
const JWKS_TIMEOUT_MS = 2000;

type PublishedKey = JsonWebKey & { kid?: string; alg?: string; use?: string };

/**
 * Auth's public keys, by `kid`: fetched once and held as KeyObjects, refetched on an unknown
 * `kid` at most once per AUTH_JWKS_COOLDOWN_SECONDS (so a forged `kid` cannot make us hammer
 * auth), and when the set is older than JWKS_MAX_AGE_MS. Only signing keys of a pinned
 * algorithm are kept; a key without `alg` gets the one its type signs with.
 */
@Injectable()
export class JwksKeySet {
  private readonly url: string;
  private readonly cooldownMs: number;
  private keys = new Map<string, VerificationKey>();
  private fetchedAt?: number;
  private inFlight?: Promise<void>;

  constructor(config: ConfigService<IdentityEnvironment, true>) {
    this.url = config.get('AUTH_JWKS_URL', { infer: true });
    this.cooldownMs =
      config.get('AUTH_JWKS_COOLDOWN_SECONDS', { infer: true }) * 1000;
  }

  /** Is this key in the set as last fetched (a rotated-out or lost key is not)? */
  holds(kid: string | undefined): boolean {
    return kid !== undefined && this.keys.has(kid);
  }

  async keyFor(kid: string | undefined): Promise<VerificationKey> {
    const age = Date.now() - (this.fetchedAt ?? -Infinity);
    const known = kid === undefined ? undefined : this.keys.get(kid);
    if (!known && age >= this.cooldownMs) await this.reload();
    else if (known && age >= JWKS_MAX_AGE_MS) await this.reload();
    const key = kid === undefined ? undefined : this.keys.get(kid);
    if (!key) throw new UnknownKeyError(`no published key "${kid}"`);
    return key;
  }

  /** One fetch at a time: concurrent callers share it. */
  reload(): Promise<void> {
    this.inFlight ??= this.fetchKeys().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<void> {
    let published: { keys?: PublishedKey[] };
    try {
      const response = await fetch(this.url, {
        signal: AbortSignal.timeout(JWKS_TIMEOUT_MS),
        headers: { accept: 'application/json' },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      published = (await response.json()) as { keys?: PublishedKey[] };
    } catch {
      throw new ServiceUnavailableException(
        'token signing keys are unavailable; try again',
      );
    }
    const keys = new Map<string, VerificationKey>();
    for (const jwk of published.keys ?? []) {
      const parsed = verificationKeyOf(jwk);
      if (parsed && jwk.kid) keys.set(jwk.kid, parsed);
    }
    this.keys = keys;
    this.fetchedAt = Date.now();
  }
}

function verificationKeyOf(jwk: PublishedKey): VerificationKey | undefined {
  if (jwk.use !== undefined && jwk.use !== 'sig') return undefined;
  try {
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    const alg = jwk.alg ?? algorithmOfKeyType(key);
    if (!(ACCESS_TOKEN_ALGORITHMS as readonly string[]).includes(alg ?? ''))
      return undefined;
    return { alg: alg as AccessTokenAlgorithm, key };
  } catch {
    return undefined;
  }
}

function algorithmOfKeyType(key: KeyObject): string | undefined {
  if (key.asymmetricKeyType === 'ec') return 'ES256';
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  return undefined;
}

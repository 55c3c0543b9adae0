import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  createPublicKey,
  generateKeyPair,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import type { AccessTokenAlgorithm } from '@app/contracts';
import { currentPodName } from '@app/platform';
import type { AuthEnvironment } from '../config/auth-environment';
import { readSigningKeys, type SigningKey } from './signing-key-files';

/** A fresh key of the algorithm's type, generated off the main thread. */
function generatePrivateKey(alg: AccessTokenAlgorithm): Promise<KeyObject> {
  return new Promise((resolve, reject) => {
    const done = (
      error: Error | null,
      _publicKey: KeyObject,
      privateKey: KeyObject,
    ) => (error ? reject(error) : resolve(privateKey));
    if (alg === 'ES256')
      generateKeyPair('ec', { namedCurve: 'prime256v1' }, done);
    else generateKeyPair('rsa', { modulusLength: 2048 }, done);
  });
}

/**
 * The keys auth signs with and publishes. In `shared` mode every replica loads the same key set
 * from AUTH_KEYS_DIR, so a token from any pod verifies everywhere, and older keys stay published
 * (verifiable) after AUTH_ACTIVE_KID moves on. In `per-pod` mode each pod makes its own key at
 * start-up: the stateful anti-pattern the experiment shows.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit {
  private readonly logger = new Logger(SigningKeysService.name);
  private keys: SigningKey[] = [];
  private active: SigningKey;
  private publicJwks: { keys: JsonWebKey[] };
  private publicKeys = new Map<
    string,
    { alg: AccessTokenAlgorithm; key: KeyObject }
  >();

  constructor(private readonly config: ConfigService<AuthEnvironment, true>) {}

  async onModuleInit(): Promise<void> {
    this.keys =
      this.config.get('AUTH_KEY_MODE', { infer: true }) === 'per-pod'
        ? [await this.generatePodKey()]
        : await this.loadSharedKeys();
    this.active = this.selectActiveKey();
    this.publicKeys = new Map(
      this.keys.map(({ kid, alg, privateKey }) => [
        kid,
        { alg, key: createPublicKey(privateKey) },
      ]),
    );
    this.publicJwks = {
      keys: this.keys.map(({ kid, alg, privateKey }) => ({
        ...createPublicKey(privateKey).export({ format: 'jwk' }),
        kid,
        alg,
        use: 'sig',
      })),
    };
    this.logger.log(
      `signing with kid ${this.active.kid} (${this.active.alg}); publishing ${this.keys.length} key(s)`,
    );
  }

  get activeKey(): SigningKey {
    return this.active;
  }

  /** The public half of a key this pod publishes, to check a token it issued (logout). */
  publicKeyOf(
    kid: string,
  ): { alg: AccessTokenAlgorithm; key: KeyObject } | undefined {
    return this.publicKeys.get(kid);
  }

  /** Public halves only: `d` and the other private members never leave this process. */
  get jwks(): { keys: JsonWebKey[] } {
    return this.publicJwks;
  }

  private async loadSharedKeys(): Promise<SigningKey[]> {
    const directory = this.config.get('AUTH_KEYS_DIR', {
      infer: true,
    }) as string;
    const keys = await readSigningKeys(directory).catch((error: Error) => {
      throw new Error(
        `AUTH_KEYS_DIR: cannot read signing keys from ${directory}: ${error.message}`,
      );
    });
    if (keys.length === 0) {
      throw new Error(
        `AUTH_KEYS_DIR: no signing keys (<kid>.pem or <kid>.jwk.json) in ${directory}; run \`npm run keys\``,
      );
    }
    return keys;
  }

  private async generatePodKey(): Promise<SigningKey> {
    const alg = this.config.get('AUTH_PER_POD_ALGORITHM', { infer: true });
    const privateKey = await generatePrivateKey(alg);
    const kid = `${currentPodName()}-${randomBytes(4).toString('hex')}`;
    return { kid, alg, privateKey };
  }

  private selectActiveKey(): SigningKey {
    const wanted = this.config.get('AUTH_ACTIVE_KID', { infer: true });
    if (!wanted) {
      if (this.keys.length === 1) return this.keys[0];
      throw new Error(
        `AUTH_ACTIVE_KID: required when several keys are published (${this.kids()})`,
      );
    }
    const key = this.keys.find(({ kid }) => kid === wanted);
    if (!key)
      throw new Error(
        `AUTH_ACTIVE_KID: no key "${wanted}" (have ${this.kids()})`,
      );
    return key;
  }

  private kids(): string {
    return this.keys.map(({ kid }) => kid).join(', ');
  }
}

import { generateKeyPairSync } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authEnvironmentSchema } from '../../apps/auth/src/config/auth-environment';
import { cartEnvironmentSchema } from '../../apps/cart/src/config/cart-environment';
import { readSigningKeys } from '../../apps/auth/src/keys/signing-key-files';
import { generateDevSecrets } from './generate-dev-secrets';

/** tools/secrets/generate-dev-secrets.ts, in a temp dir: what it writes is what the apps accept. */
describe('dev secret generator', () => {
  let directory: string;
  const read = (file: string) => readFileSync(join(directory, file), 'utf8');
  const envValue = (file: string, name: string) =>
    new RegExp(`^${name}=(.*)$`, 'm').exec(read(file))?.[1];

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'what-survives-dev-secrets-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('writes values the apps accept, readable by the owner only', async () => {
    const { kids, activeKid } = generateDevSecrets(directory);

    const auth = authEnvironmentSchema.safeParse({
      REDIS_URL: 'redis://redis:6379',
      AUTH_ISSUER: 'issuer',
      AUTH_KEYS_DIR: join(directory, 'signing-keys'),
      AUTH_USERS: envValue('auth-users.env', 'AUTH_USERS'),
    });
    expect(auth.error?.issues).toBeUndefined();
    const cart = cartEnvironmentSchema.safeParse({
      SESSION_STORE: 'memory',
      ORDER_URL: 'http://order',
      AUTH_ISSUER: 'issuer',
      AUTH_JWKS_URL: 'http://auth/auth/.well-known/jwks.json',
      SESSION_SECRETS: envValue('cart-session-secrets.env', 'SESSION_SECRETS'),
    });
    expect(cart.error?.issues).toBeUndefined();

    // auth's own key reader loads the key, as it would from the mounted Secret.
    const keys = await readSigningKeys(join(directory, 'signing-keys'));
    expect(keys.map((key) => key.kid)).toEqual(kids);
    expect(activeKid).toBe(kids[0]);
    expect(envValue('signing-keys/active-kid.env', 'AUTH_ACTIVE_KID')).toBe(
      activeKid,
    );
    expect(read('signing-keys/kustomization.yaml')).toContain(
      `- ${activeKid}.pem`,
    );
    for (const file of ['auth-users.env', 'cart-session-secrets.env'])
      expect(statSync(join(directory, file)).mode & 0o077).toBe(0);
  });

  it('is idempotent: a second run keeps every file as it is', () => {
    generateDevSecrets(directory);
    const snapshot = (dir: string): Record<string, string> =>
      Object.fromEntries(
        readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => {
            const path = join(entry.parentPath, entry.name);
            return [path, readFileSync(path, 'utf8')];
          }),
      );
    const before = snapshot(directory);

    expect(generateDevSecrets(directory).written).toEqual([]);
    expect(snapshot(directory)).toEqual(before);
  });

  it('--rotate adds a key, makes it active and keeps the old one published', () => {
    const first = generateDevSecrets(directory);
    const rotated = generateDevSecrets(directory, { rotate: true });

    expect(rotated.kids).toHaveLength(2);
    expect(rotated.kids).toContain(first.activeKid);
    expect(rotated.activeKid).not.toBe(first.activeKid);
    for (const kid of rotated.kids)
      expect(read('signing-keys/kustomization.yaml')).toContain(`- ${kid}.pem`);
    expect(envValue('signing-keys/active-kid.env', 'AUTH_ACTIVE_KID')).toBe(
      rotated.activeKid,
    );
  });

  it('replaces an Ed25519 key an older generator left, which auth would refuse to start with', async () => {
    const keys = join(directory, 'signing-keys');
    mkdirSync(keys, { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(
      join(keys, 'dev-20261201-eddsa-old.pem'),
      privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    writeFileSync(
      join(keys, 'active-kid.env'),
      'AUTH_ACTIVE_KID=dev-20261201-eddsa-old\n',
    );
    const { removed, kids, activeKid } = generateDevSecrets(directory);
    expect(removed).toEqual(['dev-20261201-eddsa-old']);
    expect(kids).toEqual([activeKid]);
    expect(activeKid).toMatch(/-es256-/);
    expect((await readSigningKeys(keys)).map((key) => key.kid)).toEqual([
      activeKid,
    ]);
  });
});

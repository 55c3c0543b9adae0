/**
 * `npm run keys`: creates the dev signing key set in a git-ignored folder (never committed).
 * Usage: npm run keys -- [--dir .secrets/auth-keys] [--alg ES256|RS256] [--rotate]
 * Without --rotate an existing key set is kept; --rotate adds a key and prints the kid to make
 * active (AUTH_ACTIVE_KID), leaving the old ones published so their tokens keep verifying.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ACCESS_TOKEN_ALGORITHMS,
  type AccessTokenAlgorithm,
} from '@app/contracts';

export const DEFAULT_KEYS_DIR = '.secrets/auth-keys';
const ALGORITHMS = ACCESS_TOKEN_ALGORITHMS;
type Algorithm = AccessTokenAlgorithm;

function privateKeyPem(alg: Algorithm): string {
  const { privateKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

export function generateDevKey(
  directory: string,
  alg: Algorithm = 'ES256',
): string {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  const kid = `dev-${stamp}-${alg.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}`;
  const file = join(directory, `${kid}.pem`);
  writeFileSync(file, privateKeyPem(alg), { mode: 0o600 });
  chmodSync(file, 0o600);
  return kid;
}

export function existingKids(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((name) => /\.(pem|jwk\.json)$/.test(name))
    .map((name) => name.replace(/\.(pem|jwk\.json)$/, ''))
    .sort();
}

function main(): void {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: DEFAULT_KEYS_DIR },
      alg: { type: 'string', default: 'ES256' },
      rotate: { type: 'boolean', default: false },
    },
  });
  const alg = values.alg as Algorithm;
  if (!ALGORITHMS.includes(alg)) {
    console.error(`--alg must be one of ${ALGORITHMS.join(', ')}`);
    process.exit(2);
  }
  const directory = resolve(values.dir);
  const kids = existingKids(directory);
  if (kids.length > 0 && !values.rotate) {
    console.log(
      `keys: ${directory} already holds ${kids.join(', ')} (use --rotate to add one)`,
    );
    return;
  }
  const kid = generateDevKey(directory, alg);
  console.log(`keys: wrote ${join(directory, `${kid}.pem`)} (${alg})`);
  if (kids.length > 0) {
    console.log(
      `keys: several keys now published; sign with the new one: AUTH_ACTIVE_KID=${kid}`,
    );
  }
}

if (require.main === module) main();

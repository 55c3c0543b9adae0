/**
 * Creates the secret files the dev overlay's generators read, in a git-ignored folder (never
 * committed, never in an image). Idempotent: what exists is kept, only what is missing is made.
 * Usage: npx tsx tools/secrets/generate-dev-secrets.ts [--dir k8s/overlays/dev/secrets] [--rotate]
 *
 *   <dir>/auth-users.env                 AUTH_USERS (the demo users the e2e suite logs in as)
 *   <dir>/cart-session-secrets.env       SESSION_SECRETS (random, 64 hex characters)
 *   <dir>/signing-keys/<kid>.pem         auth's signing keys (PKCS#8), the file name is the kid
 *   <dir>/signing-keys/active-kid.env    AUTH_ACTIVE_KID
 *   <dir>/signing-keys/kustomization.yaml
 *
 * The signing keys get a kustomize Component of their own, written here, because a
 * secretGenerator must list its files by name and the names are the kids, known only once the
 * keys exist. `--rotate` adds a key and makes it the active one; the old keys stay published so
 * tokens they signed keep verifying. Remove an old .pem and run again to retire it.
 */
import { createPrivateKey, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { existingKids, generateDevKey } from './generate-dev-keys';

const ROOT = join(__dirname, '..', '..');
export const DEV_SECRETS_DIR = join(ROOT, 'k8s', 'overlays', 'dev', 'secrets');

/** Well-known demo users (as on the local stack): the e2e suite and the experiment log in as them. */
export const DEV_AUTH_USERS = 'alice:alice,bob:bob';

export interface DevSecrets {
  directory: string;
  /** Files written by this run (relative to directory); empty when everything already existed. */
  written: string[];
  /** Keys of a type auth no longer signs with, taken out of the set by this run. */
  removed: string[];
  kids: string[];
  activeKid: string;
}

/** What auth signs with (ES256, RS256); an older generator wrote Ed25519 keys, which it refuses. */
function usableSigningKey(file: string): boolean {
  const type = createPrivateKey(readFileSync(file)).asymmetricKeyType;
  return type === 'ec' || type === 'rsa';
}

function writeIfChanged(
  file: string,
  content: string,
  written: string[],
  name: string,
) {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return;
  writeFileSync(file, content, { mode: 0o600 });
  written.push(name);
}

function writeIfMissing(
  file: string,
  content: () => string,
  written: string[],
  name: string,
) {
  if (existsSync(file)) return;
  writeFileSync(file, content(), { mode: 0o600 });
  written.push(name);
}

function readActiveKid(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  return /^AUTH_ACTIVE_KID=(.+)$/m.exec(readFileSync(file, 'utf8'))?.[1];
}

function signingKeysComponent(kids: string[]): string {
  return [
    '# Written by tools/secrets/generate-dev-secrets.ts from the .pem files next to it; do not edit.',
    'apiVersion: kustomize.config.k8s.io/v1alpha1',
    'kind: Component',
    'secretGenerator:',
    '  - name: auth-signing-keys',
    '    files:',
    ...kids.map((kid) => `      - ${kid}.pem`),
    'configMapGenerator:',
    '  - name: auth-active-kid',
    '    envs:',
    '      - active-kid.env',
    '',
  ].join('\n');
}

export function generateDevSecrets(
  directory: string = DEV_SECRETS_DIR,
  { rotate = false }: { rotate?: boolean } = {},
): DevSecrets {
  const keysDirectory = join(directory, 'signing-keys');
  mkdirSync(keysDirectory, { recursive: true, mode: 0o700 });
  const written: string[] = [];

  writeIfMissing(
    join(directory, 'auth-users.env'),
    () => `AUTH_USERS=${DEV_AUTH_USERS}\n`,
    written,
    'auth-users.env',
  );
  writeIfMissing(
    join(directory, 'cart-session-secrets.env'),
    () => `SESSION_SECRETS=${randomBytes(32).toString('hex')}\n`,
    written,
    'cart-session-secrets.env',
  );

  // A key auth cannot read stops it from starting at all: out of the set, and a usable one made.
  const removed = existingKids(keysDirectory).filter((kid) => {
    const file = join(keysDirectory, `${kid}.pem`);
    if (!existsSync(file) || usableSigningKey(file)) return false;
    unlinkSync(file);
    return true;
  });
  const activeKidFile = join(keysDirectory, 'active-kid.env');
  let activeKid = readActiveKid(activeKidFile);
  if (existingKids(keysDirectory).length === 0 || rotate) {
    activeKid = generateDevKey(keysDirectory, 'ES256');
    written.push(`signing-keys/${activeKid}.pem`);
  }
  const kids = existingKids(keysDirectory).filter((kid) =>
    existsSync(join(keysDirectory, `${kid}.pem`)),
  );
  if (!activeKid || !kids.includes(activeKid)) {
    // No record (or its key was removed): the newest key signs.
    activeKid = [...kids].sort(
      (a, b) =>
        statSync(join(keysDirectory, `${a}.pem`)).mtimeMs -
        statSync(join(keysDirectory, `${b}.pem`)).mtimeMs,
    )[kids.length - 1];
  }
  writeIfChanged(
    activeKidFile,
    `AUTH_ACTIVE_KID=${activeKid}\n`,
    written,
    'signing-keys/active-kid.env',
  );
  writeIfChanged(
    join(keysDirectory, 'kustomization.yaml'),
    signingKeysComponent(kids),
    written,
    'signing-keys/kustomization.yaml',
  );
  return { directory, written, removed, kids, activeKid };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: DEV_SECRETS_DIR },
      rotate: { type: 'boolean', default: false },
    },
  });
  const result = generateDevSecrets(resolve(values.dir), {
    rotate: values.rotate,
  });
  // Names only: secret values never reach a terminal or a CI log.
  if (result.removed.length > 0)
    console.log(
      `dev secrets: removed ${result.removed.join(', ')} (auth signs with ES256 or RS256 only)`,
    );
  console.log(
    result.written.length > 0
      ? `dev secrets: wrote ${result.written.join(', ')} in ${result.directory}`
      : `dev secrets: ${result.directory} is complete (nothing to do)`,
  );
  console.log(
    `dev secrets: signing keys ${result.kids.join(', ')}; active ${result.activeKid}`,
  );
}

if (require.main === module) main();

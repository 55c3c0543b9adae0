import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AccessTokenAlgorithm } from '@app/contracts';

export interface SigningKey {
  kid: string;
  alg: AccessTokenAlgorithm;
  privateKey: KeyObject;
}

/** The JOSE algorithm a key type signs with; key type and algorithm are never chosen apart. */
export function algorithmFor(key: KeyObject): AccessTokenAlgorithm {
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
      break;
    case 'rsa':
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048)
        return 'RS256';
      break;
  }
  throw new Error(
    `unsupported key type ${key.asymmetricKeyType} (use EC P-256 or RSA ≥ 2048; jsonwebtoken has no EdDSA)`,
  );
}

/**
 * Reads every signing key in a directory: `<kid>.pem` (PKCS#8) or `<kid>.jwk.json` (private JWK).
 * The file name is the kid, so rotating means adding a file and switching AUTH_ACTIVE_KID.
 * Kubernetes mounts Secret entries as `..data/` symlinks: hidden entries are skipped.
 */
export async function readSigningKeys(
  directory: string,
): Promise<SigningKey[]> {
  const entries = (await readdir(directory))
    .filter((name) => !name.startsWith('.'))
    .sort();
  const keys: SigningKey[] = [];
  for (const name of entries) {
    const match = /^(.+?)\.(pem|jwk\.json)$/.exec(name);
    if (!match) continue;
    const [, kid, format] = match;
    const content = await readFile(join(directory, name), 'utf8');
    const privateKey =
      format === 'pem'
        ? createPrivateKey(content)
        : createPrivateKey({ key: JSON.parse(content), format: 'jwk' });
    if (privateKey.type !== 'private')
      throw new Error(`${name} is not a private key`);
    keys.push({ kid, alg: algorithmFor(privateKey), privateKey });
  }
  return keys;
}

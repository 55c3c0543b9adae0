import {
  createCipheriv,
  createDecipheriv,
  hkdfSync,
  randomBytes,
} from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = 'what-survives/cart';
const HKDF_INFO = 'session access token, AES-256-GCM, v1';

/**
 * Seals the user's bearer token for the session record. Checkout must act for the user (cart →
 * order with their token), so the session cannot keep only a hash as auth does with refresh
 * tokens; but whoever reads the store (a Redis dump, a `MONITOR`, a backup) must not get a token
 * to replay. AES-256-GCM with a key derived (HKDF-SHA256) from each SESSION_SECRETS entry: the
 * first seals, every one opens, so a secret rotation keeps sessions working as it keeps cookies.
 * The session id is the additional data: a sealed token copied into another session opens nowhere.
 * The output is `v1:` + base64url(iv ‖ ciphertext ‖ tag), no dots: never shaped like a JWT.
 */
export class AccessTokenCipher {
  private readonly keys: Buffer[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('at least one session secret');
    this.keys = secrets.map((secret) =>
      Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, HKDF_INFO, 32)),
    );
  }

  seal(token: string, sessionId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0], iv);
    cipher.setAAD(Buffer.from(sessionId));
    const sealed = Buffer.concat([
      iv,
      cipher.update(token, 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return `${VERSION}:${sealed.toString('base64url')}`;
  }

  /** The token, or undefined when no secret opens it (rotated away, tampered, other session). */
  open(sealed: string, sessionId: string): string | undefined {
    const [version, payload] = sealed.split(':');
    if (version !== VERSION || !payload) return undefined;
    const bytes = Buffer.from(payload, 'base64url');
    if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
    const iv = bytes.subarray(0, IV_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    const ciphertext = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
    for (const key of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(Buffer.from(sessionId));
        decipher.setAuthTag(tag);
        return Buffer.concat([
          decipher.update(ciphertext),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        // Not this key (or not authentic): try the next one.
      }
    }
    return undefined;
  }
}

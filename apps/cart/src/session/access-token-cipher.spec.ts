import { AccessTokenCipher } from './access-token-cipher';

const OLD = 'old-session-secret-0123456789abcdefghij';
const NEW = 'new-session-secret-0123456789abcdefghij';
// Shaped like a real access token: three base64url parts, the first two JSON.
const TOKEN = [
  Buffer.from('{"alg":"EdDSA","kid":"k1"}').toString('base64url'),
  Buffer.from('{"sub":"alice","exp":1}').toString('base64url'),
  'c2lnbmF0dXJlLWJ5dGVzLWdvLWhlcmUtYW5kLW1vcmU',
].join('.');

describe('AccessTokenCipher', () => {
  it('seals a token into something that is not a JWT, and opens it again', () => {
    const cipher = new AccessTokenCipher([NEW]);
    const sealed = cipher.seal(TOKEN, 'session-1');
    expect(sealed).toMatch(/^v1:[\w-]+$/);
    expect(sealed).not.toContain('eyJ');
    for (const part of TOKEN.split('.')) expect(sealed).not.toContain(part);
    expect(cipher.open(sealed, 'session-1')).toBe(TOKEN);
  });

  it('a fresh IV every time: the same token seals differently', () => {
    const cipher = new AccessTokenCipher([NEW]);
    expect(cipher.seal(TOKEN, 's')).not.toBe(cipher.seal(TOKEN, 's'));
  });

  it('rotation: sealed with the old secret, opened after NEW,OLD; not after NEW alone', () => {
    const sealed = new AccessTokenCipher([OLD]).seal(TOKEN, 's');
    expect(new AccessTokenCipher([NEW, OLD]).open(sealed, 's')).toBe(TOKEN);
    expect(new AccessTokenCipher([NEW]).open(sealed, 's')).toBeUndefined();
  });

  it('bound to its session: another session id does not open it', () => {
    const cipher = new AccessTokenCipher([NEW]);
    expect(cipher.open(cipher.seal(TOKEN, 'mine'), 'yours')).toBeUndefined();
  });

  it.each([
    ['a flipped byte', (sealed: string) => flipCiphertextBit(sealed)],
    ['a cut-off tag', (sealed: string) => sealed.slice(0, -4)],
    ['another version', (sealed: string) => sealed.replace(/^v1:/, 'v2:')],
    ['no payload', () => 'v1:'],
    ['a clear token', () => TOKEN],
  ])('%s does not open', (_case, tamper) => {
    const cipher = new AccessTokenCipher([NEW]);
    expect(cipher.open(tamper(cipher.seal(TOKEN, 's')), 's')).toBeUndefined();
  });
});

/** One bit of the ciphertext changed, re-encoded: GCM's tag must catch it. */
function flipCiphertextBit(sealed: string): string {
  const bytes = Buffer.from(sealed.slice('v1:'.length), 'base64url');
  bytes[14] ^= 1;
  return `v1:${bytes.toString('base64url')}`;
}

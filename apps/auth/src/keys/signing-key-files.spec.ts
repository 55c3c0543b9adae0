import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { algorithmFor, readSigningKeys } from './signing-key-files';

describe('readSigningKeys', () => {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'keys-spec-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('reads PEM and JWK files, the file name being the kid, the key type fixing the alg', async () => {
    const pem = generateKeyPairSync('rsa', {
      modulusLength: 2048,
    }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    const jwk = generateKeyPairSync('ec', {
      namedCurve: 'prime256v1',
    }).privateKey.export({
      format: 'jwk',
    });
    writeFileSync(join(directory, 'a-2026.pem'), pem);
    writeFileSync(join(directory, 'b-2026.jwk.json'), JSON.stringify(jwk));
    writeFileSync(join(directory, 'README.txt'), 'not a key');
    const keys = await readSigningKeys(directory);
    expect(keys.map(({ kid, alg }) => ({ kid, alg }))).toEqual([
      { kid: 'a-2026', alg: 'RS256' },
      { kid: 'b-2026', alg: 'ES256' },
    ]);
  });

  it('skips the hidden ..data entries of a mounted Kubernetes Secret', async () => {
    const pem = generateKeyPairSync('ec', {
      namedCurve: 'prime256v1',
    }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    writeFileSync(join(directory, 'k1.pem'), pem);
    symlinkSync(join(directory, 'k1.pem'), join(directory, '..k1.pem'));
    expect((await readSigningKeys(directory)).map(({ kid }) => kid)).toEqual([
      'k1',
    ]);
  });

  it('refuses a public key in place of a private one', async () => {
    const publicPem = generateKeyPairSync('ec', {
      namedCurve: 'prime256v1',
    }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    writeFileSync(join(directory, 'k.pem'), publicPem);
    await expect(readSigningKeys(directory)).rejects.toThrow();
  });
});

describe('algorithmFor', () => {
  it('refuses Ed25519: jsonwebtoken, under @nestjs/jwt and passport-jwt, has no EdDSA', () => {
    const ed25519 = generateKeyPairSync('ed25519').privateKey;
    expect(() => algorithmFor(ed25519)).toThrow(/unsupported key type ed25519/);
  });

  it('refuses weak RSA and other curves', () => {
    const weakRsa = generateKeyPairSync('rsa', {
      modulusLength: 1024,
    }).privateKey;
    expect(() => algorithmFor(weakRsa)).toThrow(/unsupported key type rsa/);
    const p384 = generateKeyPairSync('ec', {
      namedCurve: 'secp384r1',
    }).privateKey;
    expect(() => algorithmFor(p384)).toThrow(/unsupported key type ec/);
  });

  it('maps RSA 2048 to RS256', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(algorithmFor(rsa)).toBe('RS256');
  });
});

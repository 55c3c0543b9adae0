import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_TYPE } from '@app/identity';
import type { AuthEnvironment } from '../config/auth-environment';
import { SigningKeysService } from '../keys/signing-keys.service';

/**
 * Short-lived, asymmetrically signed access tokens any replica of any service can verify.
 * `iss`, `aud` and `exp` come from the JwtModule options (auth.module.ts); the key, its
 * algorithm, `kid` and `typ: at+jwt` (RFC 9068) are set per token from the active key, so
 * AUTH_ACTIVE_KID rotation and a per-pod key need nothing else.
 */
@Injectable()
export class AccessTokenIssuer {
  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
    private readonly config: ConfigService<AuthEnvironment, true>,
  ) {}

  get lifetimeSeconds(): number {
    return this.config.get('AUTH_ACCESS_TOKEN_TTL_SECONDS', { infer: true });
  }

  issue(userId: string): Promise<string> {
    const { kid, alg, privateKey } = this.keys.activeKey;
    // jsonwebtoken sets `iat`; a KeyObject parsed once at start-up, never a PEM per token.
    return this.jwt.signAsync(
      {},
      {
        privateKey,
        algorithm: alg,
        header: { alg, kid, typ: ACCESS_TOKEN_TYPE },
        subject: userId,
        jwtid: randomUUID(),
      },
    );
  }
}

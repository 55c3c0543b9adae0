import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { ACCESS_TOKEN_TYPE } from '@app/identity';
import type { AuthEnvironment } from '../config/auth-environment';
import { SigningKeysService } from '../keys/signing-keys.service';

/** Short-lived, asymmetrically signed access tokens any replica of any service can verify. */
@Injectable()
export class AccessTokenIssuer {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly config: ConfigService<AuthEnvironment, true>,
  ) {}

  get lifetimeSeconds(): number {
    return this.config.get('AUTH_ACCESS_TOKEN_TTL_SECONDS', { infer: true });
  }

  issue(userId: string): Promise<string> {
    const { kid, alg, privateKey } = this.keys.activeKey;
    return new SignJWT({})
      .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.config.get('AUTH_ISSUER', { infer: true }))
      .setAudience(this.config.get('AUTH_AUDIENCE', { infer: true }))
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(`${this.lifetimeSeconds}s`)
      .setJti(randomUUID())
      .sign(privateKey);
  }
}

import { Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { AuthEnvironment } from '../config/auth-environment';

const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

interface PasswordHash {
  salt: Buffer;
  hash: Buffer;
}

/**
 * Users from AUTH_USERS, with passwords hashed (scrypt) at start-up so the plain text is not
 * kept in memory past boot. Unknown names cost the same scrypt as known ones, so response time
 * does not tell which names exist.
 */
@Injectable()
export class UserDirectoryService implements OnModuleInit {
  private readonly users = new Map<string, PasswordHash>();
  private decoy: PasswordHash;

  constructor(private readonly config: ConfigService<AuthEnvironment, true>) {}

  async onModuleInit(): Promise<void> {
    const entries = this.config
      .get('AUTH_USERS', { infer: true })
      .split(',')
      .map((entry) => {
        const separator = entry.indexOf(':');
        return [entry.slice(0, separator), entry.slice(separator + 1)] as const;
      });
    await Promise.all(
      entries.map(async ([name, password]) =>
        this.users.set(name, await hashPassword(password)),
      ),
    );
    this.decoy = await hashPassword(randomBytes(16).toString('hex'));
  }

  /** The user id when the password matches, else undefined. */
  async authenticate(
    username: string,
    password: string,
  ): Promise<string | undefined> {
    const stored = this.users.get(username);
    const candidate = await scryptAsync(password, (stored ?? this.decoy).salt);
    const matches = timingSafeEqual(candidate, (stored ?? this.decoy).hash);
    return stored && matches ? username : undefined;
  }
}

async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  return { salt, hash: await scryptAsync(password, salt) };
}

import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { REDIS_CLIENT, RedisDeadline, type RedisClient } from '@app/platform';
import type { AuthEnvironment } from '../config/auth-environment';

const TOKEN_PREFIX = 'auth:refresh:';
const FAMILY_PREFIX = 'auth:family:';

export type RotationOutcome =
  | { status: 'rotated'; userId: string; family: string }
  | { status: 'unknown' | 'revoked' | 'reused' };

/**
 * Spends a refresh token atomically. A token already spent means someone replays it: the whole
 * family (every token descended from one login) is revoked, so neither the thief nor the user
 * can refresh again. Runs in Redis as one script: two replicas racing on one token cannot both win.
 */
const SPEND_SCRIPT = `
local token = redis.call('HMGET', KEYS[1], 'user', 'family', 'spent')
if not token[1] then return {'unknown'} end
local familyKey = ARGV[1] .. token[2]
if redis.call('EXISTS', familyKey) == 0 then return {'revoked'} end
if token[3] == '1' then
  redis.call('DEL', familyKey)
  return {'reused'}
end
redis.call('HSET', KEYS[1], 'spent', '1')
return {'rotated', token[1], token[2]}
`;

/**
 * Opaque refresh tokens, stored hashed in Redis (a leaked dump holds no usable token), single use,
 * grouped in families for reuse detection and logout.
 */
@Injectable()
export class RefreshTokenStore {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly config: ConfigService<AuthEnvironment, true>,
    private readonly deadline: RedisDeadline,
  ) {}

  /** A token for a new login: starts a new family. */
  startFamily(userId: string): Promise<string> {
    return this.issue(userId, randomUUID());
  }

  async rotate(token: string): Promise<RotationOutcome> {
    const [status, userId, family] = (await this.deadline.bound(
      this.redis.eval(SPEND_SCRIPT, {
        keys: [tokenKey(token)],
        arguments: [FAMILY_PREFIX],
      }),
    )) as string[];
    if (status === 'rotated') return { status, userId, family };
    return { status: status as 'unknown' | 'revoked' | 'reused' };
  }

  /** A successor in the same family, after a successful rotation. */
  issueSuccessor(userId: string, family: string): Promise<string> {
    return this.issue(userId, family);
  }

  /** Logout: every token of the family stops working. Unknown tokens are ignored (idempotent). */
  async revokeFamilyOf(token: string): Promise<void> {
    const family = await this.deadline.bound(
      this.redis.hGet(tokenKey(token), 'family'),
    );
    if (family)
      await this.deadline.bound(this.redis.del(FAMILY_PREFIX + family));
  }

  private async issue(userId: string, family: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const ttl = this.config.get('AUTH_REFRESH_TOKEN_TTL_SECONDS', {
      infer: true,
    });
    await this.deadline.bound(
      this.redis
        .multi()
        .hSet(tokenKey(token), { user: userId, family, spent: '0' })
        .expire(tokenKey(token), ttl)
        .set(FAMILY_PREFIX + family, userId, { EX: ttl })
        .exec(),
    );
    return token;
  }
}

function tokenKey(token: string): string {
  return TOKEN_PREFIX + createHash('sha256').update(token).digest('base64url');
}

import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { REDIS_CLIENT, RedisDeadline, type RedisClient } from '@app/platform';
import type { AuthEnvironment } from '../config/auth-environment';

const TOKEN_PREFIX = 'auth:refresh:';
const FAMILY_PREFIX = 'auth:family:';

export type RotationOutcome =
  | { status: 'rotated'; userId: string; successor: string }
  | { status: 'unknown' | 'revoked' | 'reused' };

/**
 * Keys: `auth:refresh:<sha256 of token>` = {user, family, spent}, expiring after the sliding
 * idle TTL; `auth:family:<id>` = the user, expiring at the family's absolute end
 * (AUTH_REFRESH_FAMILY_MAX_SECONDS after the login) and never extended. A family is alive while
 * its key exists; revoking it is deleting that key, and only a new login ever creates one.
 */

/**
 * Spends a refresh token and issues its successor in one step, inside Redis. A token already
 * spent means someone replays it: the whole family (every token descended from one login) is
 * revoked, so neither the thief nor the user can refresh again. Because the successor is written
 * by the same script that checked the family, a revocation (reuse seen by another replica, a
 * logout) lands either before it — and the rotation is refused — or after it — and the successor
 * dies with the family. Nothing ever writes a family key back.
 *
 * KEYS[1] the token, KEYS[2] its successor; ARGV[1] the family prefix, ARGV[2] the idle TTL (ms).
 */
const ROTATE_SCRIPT = `
local token = redis.call('HMGET', KEYS[1], 'user', 'family', 'spent')
if not token[1] then return {'unknown'} end
local familyKey = ARGV[1] .. token[2]
local familyLeftMs = redis.call('PTTL', familyKey)
if familyLeftMs == -2 then return {'revoked'} end
if token[3] == '1' then
  redis.call('DEL', familyKey)
  return {'reused'}
end
redis.call('HSET', KEYS[1], 'spent', '1')
redis.call('HSET', KEYS[2], 'user', token[1], 'family', token[2], 'spent', '0')
local ttlMs = tonumber(ARGV[2])
if familyLeftMs >= 0 and familyLeftMs < ttlMs then ttlMs = familyLeftMs end
redis.call('PEXPIRE', KEYS[2], math.max(ttlMs, 1))
return {'rotated', token[1]}
`;

/** Logout: the family of a token, if it has one, is revoked in the same step that finds it. */
const REVOKE_FAMILY_SCRIPT = `
local family = redis.call('HGET', KEYS[1], 'family')
if family then redis.call('DEL', ARGV[1] .. family) end
return 0
`;

/**
 * Opaque refresh tokens, stored hashed in Redis (a leaked dump holds no usable token), single use,
 * grouped in families for reuse detection and logout. Every call is bounded by the Redis deadline.
 */
@Injectable()
export class RefreshTokenStore {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly config: ConfigService<AuthEnvironment, true>,
    private readonly deadline: RedisDeadline,
  ) {}

  /** A token for a new login: starts a new family, with its absolute lifetime. */
  async startFamily(userId: string): Promise<string> {
    const token = newToken();
    const family = randomUUID();
    const familyMax = this.config.get('AUTH_REFRESH_FAMILY_MAX_SECONDS', {
      infer: true,
    });
    const ttl = Math.min(this.idleTtlSeconds, familyMax);
    await this.deadline.bound(
      this.redis
        .multi()
        .set(FAMILY_PREFIX + family, userId, { EX: familyMax })
        .hSet(tokenKey(token), { user: userId, family, spent: '0' })
        .expire(tokenKey(token), ttl)
        .exec(),
    );
    return token;
  }

  /** Spends `token` and, if it was live, hands out its successor in the same family. */
  async rotate(token: string): Promise<RotationOutcome> {
    const successor = newToken();
    const [status, userId] = (await this.deadline.bound(
      this.redis.eval(ROTATE_SCRIPT, {
        keys: [tokenKey(token), tokenKey(successor)],
        arguments: [FAMILY_PREFIX, String(this.idleTtlSeconds * 1000)],
      }),
    )) as string[];
    if (status === 'rotated') return { status, userId, successor };
    return { status: status as 'unknown' | 'revoked' | 'reused' };
  }

  /** Logout: every token of the family stops working. Unknown tokens are ignored (idempotent). */
  async revokeFamilyOf(token: string): Promise<void> {
    await this.deadline.bound(
      this.redis.eval(REVOKE_FAMILY_SCRIPT, {
        keys: [tokenKey(token)],
        arguments: [FAMILY_PREFIX],
      }),
    );
  }

  /** How long an unused token lives (each rotation starts a new one, within the family's end). */
  private get idleTtlSeconds(): number {
    return this.config.get('AUTH_REFRESH_TOKEN_TTL_SECONDS', { infer: true });
  }
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function tokenKey(token: string): string {
  return TOKEN_PREFIX + createHash('sha256').update(token).digest('base64url');
}

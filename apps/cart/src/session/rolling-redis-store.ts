import { RedisStore } from 'connect-redis';
import type { SessionData } from 'express-session';
import type { RedisClient } from '@app/platform';
import type { CartSessionStore, SessionLimits } from './cart-session-store';

type Callback<T = unknown> = (error?: unknown, value?: T) => void;

/** A sorted set per user: its session ids, scored by when they were admitted. */
export const USER_SESSIONS_PREFIX = 'cart:sessions-of:';

/**
 * One atomic step, so that parallel logins (on any replicas) can never leave more than the limit:
 * store the new session, add it to its user's index, forget ids whose session is gone (expired,
 * logged out), then delete the oldest sessions beyond the limit. Scores come from Redis's own
 * clock, strictly increasing per user, so "oldest" is the order Redis admitted them in.
 * The session keys are derived from ids in the index, not declared: fine on one Redis (what
 * this project runs), not on Redis Cluster.
 * KEYS: session key, index key. ARGV: value, idle TTL, session id, limit, key prefix, index TTL.
 */
const ADMIT_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
local now = redis.call('TIME')
local score = tonumber(now[1]) * 1000000 + tonumber(now[2])
local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if newest[2] and tonumber(newest[2]) >= score then score = tonumber(newest[2]) + 1 end
redis.call('ZADD', KEYS[2], score, ARGV[3])
for _, sid in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if redis.call('EXISTS', ARGV[5] .. sid) == 0 then redis.call('ZREM', KEYS[2], sid) end
end
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if excess > 0 then
  for _, sid in ipairs(redis.call('ZRANGE', KEYS[2], 0, excess - 1)) do
    redis.call('DEL', ARGV[5] .. sid)
  end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1)
else
  excess = 0
end
redis.call('EXPIRE', KEYS[2], ARGV[6])
return excess
`;

/**
 * connect-redis with the rolling idle expiry folded into the read, logins admitted under the
 * per-user limit, and writes that never re-create a revoked session.
 *
 * With `rolling`, express-session touches every unmodified session at the end of each request
 * (connect-redis: EXPIRE) and holds the response until Redis answers: two round trips per read.
 * GETEX loads the session and pushes its expiry to now + the idle timeout in one command (what
 * the touch would have set), so `touch` has nothing left to do.
 */
export class RollingRedisStore extends RedisStore implements CartSessionStore {
  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly limits: SessionLimits,
  ) {
    super({ client: redis, prefix, ttl: limits.idleTimeoutSeconds });
  }

  override async get(
    sid: string,
    callback?: Callback<SessionData | null>,
  ): Promise<unknown> {
    let session: SessionData | null = null;
    try {
      const data = await this.redis.getEx(`${this.prefix}${sid}`, {
        type: 'EX',
        value: this.limits.idleTimeoutSeconds,
      });
      if (data)
        session = (await this.serializer.parse(String(data))) as SessionData;
    } catch (error) {
      if (callback) return callback(error);
      throw error;
    }
    return callback ? callback(null, session) : session;
  }

  /** SET XX: an update of a session that was revoked or destroyed meanwhile writes nothing. */
  override async set(
    sid: string,
    session: SessionData,
    callback?: Callback,
  ): Promise<unknown> {
    try {
      await this.redis.set(
        `${this.prefix}${sid}`,
        this.serializer.stringify(session),
        {
          expiration: { type: 'EX', value: this.limits.idleTimeoutSeconds },
          condition: 'XX',
        },
      );
    } catch (error) {
      if (callback) return callback(error);
      throw error;
    }
    return callback ? callback() : undefined;
  }

  override async touch(
    _sid: string,
    _session: SessionData,
    callback?: Callback,
  ): Promise<unknown> {
    // The GETEX that loaded this session already moved its expiry.
    return callback ? callback() : undefined;
  }

  async admit(sid: string, session: SessionData): Promise<number> {
    const { idleTimeoutSeconds, absoluteTimeoutSeconds, maxSessionsPerUser } =
      this.limits;
    const revoked = await this.redis.eval(ADMIT_SCRIPT, {
      keys: [
        `${this.prefix}${sid}`,
        `${USER_SESSIONS_PREFIX}${session.userId}`,
      ],
      arguments: [
        this.serializer.stringify(session),
        String(idleTimeoutSeconds),
        sid,
        String(maxSessionsPerUser),
        this.prefix,
        // Outlives every usable session of the user: none is accepted past its absolute lifetime.
        String(absoluteTimeoutSeconds + idleTimeoutSeconds),
      ],
    });
    return Number(revoked);
  }
}

import { RedisStore } from 'connect-redis';
import type { SessionData } from 'express-session';
import type { RedisClient } from '@app/platform';

type Callback<T = unknown> = (error?: unknown, value?: T) => void;

/**
 * connect-redis with the rolling idle expiry folded into the read. With `rolling`, express-session
 * touches every unmodified session at the end of each request (connect-redis: EXPIRE) and holds
 * the response until Redis answers: two round trips per read. GETEX loads the session and pushes
 * its expiry to now + the idle timeout in one command (what the touch would have set), so `touch`
 * has nothing left to do. Writes (SET with EX, from the cookie's expiry) are connect-redis's own.
 */
export class RollingRedisStore extends RedisStore {
  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly idleTimeoutSeconds: number,
  ) {
    super({ client: redis, prefix, ttl: idleTimeoutSeconds });
  }

  override async get(
    sid: string,
    callback?: Callback<SessionData | null>,
  ): Promise<unknown> {
    let session: SessionData | null = null;
    try {
      const data = await this.redis.getEx(`${this.prefix}${sid}`, {
        type: 'EX',
        value: this.idleTimeoutSeconds,
      });
      if (data)
        session = (await this.serializer.parse(String(data))) as SessionData;
    } catch (error) {
      if (callback) return callback(error);
      throw error;
    }
    return callback ? callback(null, session) : session;
  }

  override async touch(
    _sid: string,
    _session: SessionData,
    callback?: Callback,
  ): Promise<unknown> {
    // The GETEX that loaded this session already moved its expiry.
    return callback ? callback() : undefined;
  }
}

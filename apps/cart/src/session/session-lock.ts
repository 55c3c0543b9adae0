import { ServiceUnavailableException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '@app/platform';

const LOCK_PREFIX = 'cart:lock:';
const LOCK_TTL_MS = 5000;
const WAIT_LIMIT_MS = 3000;
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Serialises read-modify-write cycles on one session. express-session writes the whole session
 * on save, so two parallel "add item" requests would each save their own copy and one item
 * would be lost. Within a process a promise chain per session id orders them; with the Redis
 * store a short Redis lock (SET NX PX, released only by its owner) orders them across replicas.
 */
export class SessionLock {
  private readonly local = new Map<string, Promise<unknown>>();

  constructor(private readonly redis: RedisClient | null) {}

  async run<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.local.get(sessionId) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() => this.runAcrossReplicas(sessionId, work));
    this.local.set(sessionId, next);
    try {
      return await next;
    } finally {
      if (this.local.get(sessionId) === next) this.local.delete(sessionId);
    }
  }

  private async runAcrossReplicas<T>(
    sessionId: string,
    work: () => Promise<T>,
  ): Promise<T> {
    if (!this.redis) return work();
    const key = LOCK_PREFIX + sessionId;
    const token = randomBytes(12).toString('base64url');
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (!(await this.redis.set(key, token, { NX: true, PX: LOCK_TTL_MS }))) {
      if (Date.now() > deadline) {
        throw new ServiceUnavailableException(
          'the cart is busy with another update; try again',
        );
      }
      await sleep(5 + Math.random() * 10);
    }
    try {
      return await work();
    } finally {
      await this.redis
        .eval(RELEASE_SCRIPT, { keys: [key], arguments: [token] })
        .catch(() => {
          // Unreachable Redis: the lock expires on its own after LOCK_TTL_MS.
        });
    }
  }
}

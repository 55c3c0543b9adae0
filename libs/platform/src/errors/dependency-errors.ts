import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  ErrorReply,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  TimeoutError,
} from 'redis';

const REDIS_UNAVAILABLE_ERRORS = [
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  TimeoutError,
];

/**
 * Replies of a Redis that is up but will not take the command during a failover: a primary
 * without the replicas `min-replicas-to-write` asks for (NOREPLICAS), a node demoted to replica
 * (READONLY), a replica cut off from its primary (MASTERDOWN), one still loading its data
 * (LOADING). Each passes within seconds: a 503, like an unreachable Redis.
 */
const REDIS_UNAVAILABLE_REPLIES = /^(NOREPLICAS|READONLY|MASTERDOWN|LOADING) /;

/**
 * True for the errors node-redis raises when Redis cannot be reached, and for the replies of a
 * Redis in the middle of a failover; not for other command errors.
 */
export function isRedisUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (REDIS_UNAVAILABLE_ERRORS.some((type) => error instanceof type))
    return true;
  if (error instanceof ErrorReply)
    return REDIS_UNAVAILABLE_REPLIES.test(error.message);
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE';
}

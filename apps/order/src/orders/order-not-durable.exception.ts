import { HttpException, HttpStatus } from '@nestjs/common';
import { ErrorReply, MultiErrorReply } from 'redis';

/**
 * 503 for an order Redis cannot promise to keep: written on the primary but not confirmed by
 * ORDER_WAIT_REPLICAS replicas in time, or refused outright by a primary that may not write
 * (`min-replicas-to-write` with its replicas gone, or a primary demoted to replica). The order
 * may exist; the client's retry with the same Idempotency-Key finds it or creates it, never both.
 */
export class OrderNotDurableException extends HttpException {
  /** Read by the JSON exception filter: the Retry-After header. */
  readonly retryAfterSeconds = 1;

  constructor(reason: string) {
    super(
      `${reason}; retry with the same Idempotency-Key`,
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}

/**
 * Error replies of a Redis that is up but will not take a write now: NOREPLICAS
 * (min-replicas-to-write not met), READONLY (a replica, e.g. an old primary after a failover),
 * MASTERDOWN (a replica that lost its primary). Anything else stays a 500: it is a bug.
 */
const WRITE_REFUSED = /^(NOREPLICAS|READONLY|MASTERDOWN)\b/;

export function writeRefusedBy(error: unknown): string | undefined {
  const reply =
    error instanceof MultiErrorReply
      ? error.replies[error.errorIndexes[0]]
      : error;
  if (!(reply instanceof ErrorReply)) return undefined;
  // The reply's code only: the rest of its text names scripts and internals, not for clients.
  return WRITE_REFUSED.exec(reply.message)?.[1];
}

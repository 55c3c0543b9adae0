import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** pino-http types `request.id` on every IncomingMessage; ours is always a string. */
export type RequestWithId = IncomingMessage;

/**
 * The request id: the caller's `x-request-id` when it is a sane token (the entry point sets one),
 * a new UUID otherwise. Set before anything else runs, so even a 413 carries it; echoed on the
 * response and in every log line of the request.
 */
export function assignRequestId(
  request: RequestWithId,
  response: ServerResponse,
): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  const id =
    typeof incoming === 'string' && ACCEPTABLE_ID.test(incoming)
      ? incoming
      : randomUUID();
  request.id = id;
  response.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

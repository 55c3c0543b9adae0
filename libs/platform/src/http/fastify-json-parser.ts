import bodyParser from 'body-parser';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { REQUEST_BODY_LIMIT } from './http-adapter';

/**
 * Request bodies on Fastify parsed by the very parser the Express apps use (body-parser's json,
 * strict, 100kb): the same bodies accepted, and the same errors — 413 "request entity too
 * large", 400 with JSON.parse's message for malformed JSON, `{}` for an empty body — which the
 * JSON filter turns into the same `{statusCode, error, message}`. Fastify's own parsers would
 * answer differently (its 413 message, a 400 for an empty body, a 415 for other types).
 */
export function installExpressLikeJsonParser(fastify: FastifyInstance): void {
  const json = bodyParser.json({ limit: REQUEST_BODY_LIMIT });
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    (request, _payload, done) => {
      const raw = request.raw as IncomingMessage & { body?: unknown };
      // body-parser reads the request stream itself; it never writes to the response.
      json(raw, undefined as unknown as ServerResponse, (error?: unknown) =>
        error ? done(error as Error, undefined) : done(null, raw.body),
      );
    },
  );
  // As on Express, where only JSON is parsed: any other body is left unread, and the route's
  // schema then rejects the missing body (a 400), instead of Fastify's 415.
  fastify.addContentTypeParser('*', (_request, _payload, done) =>
    done(null, undefined),
  );
}

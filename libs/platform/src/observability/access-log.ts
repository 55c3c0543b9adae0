import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';

/** What the line needs of a request: Express's request, or Fastify's (which wraps Node's). */
interface ObservedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  originalUrl?: string;
  route?: { path?: string };
  baseUrl?: string;
  user?: { id?: string };
  session?: { userId?: string };
}

/**
 * The root logger minus its redaction list: a request line holds only the fields below, none of
 * which the list names, and applying its wildcard paths to every line was ~3% of the order
 * pod's self time under load. Lines logged by hand keep the list.
 */
export function accessLoggerOf(root: Logger): Logger {
  return root.child({}, { redact: { paths: [] } });
}

/** Probes and scrapes: many per minute per pod, and nothing a reader of the log needs. */
function isQuiet(url: string): boolean {
  return url.startsWith('/healthz') || url === '/metrics';
}

/**
 * What every request leaves behind once it is over, from one `close` listener: its duration in
 * the histogram (by route pattern, finished requests only) and one JSON line, the same shape
 * pino-http wrote — `req` {id, method, url}, `res` {statusCode}, `responseTime` (ms), `userId`
 * when one was resolved. Never headers or bodies: tokens, cookies and passwords live there.
 */
export function observeRequest(
  request: ObservedRequest,
  response: ServerResponse,
  logger: Logger,
  requestDuration: Histogram<'method' | 'route' | 'status'>,
  /** The matched route's pattern, read once the response is over (Express's by default). */
  routeOf: () => string | undefined = () => expressRoutePattern(request),
): void {
  const started = performance.now();
  response.once('close', () => {
    const elapsedMs = performance.now() - started;
    const finished = response.writableFinished;
    if (finished)
      requestDuration.observe(
        {
          method: request.method,
          route: routeOf() ?? 'unmatched',
          status: response.statusCode,
        },
        elapsedMs / 1000,
      );
    const url = request.originalUrl ?? request.url ?? '';
    if (isQuiet(url)) return;
    const userId = request.user?.id ?? request.session?.userId;
    const line = {
      req: { id: request.id, method: request.method, url },
      res: { statusCode: response.statusCode },
      responseTime: Math.round(elapsedMs * 10) / 10,
      ...(userId ? { userId } : {}),
    };
    if (!finished) logger.warn(line, 'request aborted by the client');
    else if (response.statusCode >= 500) logger.error(line, 'request errored');
    else logger.info(line, 'request completed');
  });
}

/** The matched route's pattern (`/orders/:id`), never the raw path: label values must stay few. */
function expressRoutePattern(request: ObservedRequest): string | undefined {
  const pattern = request.route?.path;
  return pattern ? `${request.baseUrl ?? ''}${pattern}` : undefined;
}

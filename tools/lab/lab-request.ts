import type { IncomingMessage } from 'node:http';

const REASONS = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  415: 'Unsupported Media Type',
  421: 'Misdirected Request',
} as const;

export type LabErrorStatus = keyof typeof REASONS;

/** A 4xx of the lab API or the dashboard, answered as `{statusCode, error, message}`. */
export class LabHttpError extends Error {
  constructor(
    readonly statusCode: LabErrorStatus,
    message: string,
  ) {
    super(message);
  }

  get body() {
    return {
      statusCode: this.statusCode,
      error: REASONS[this.statusCode],
      message: this.message,
    };
  }
}

/** What the origin check reads of a request: its line, its headers, the port it came in on. */
export type LabRequest = Pick<IncomingMessage, 'method' | 'url' | 'headers'> & {
  socket: { localPort?: number };
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The names this server answers to: the address it listens on, under each loopback name. */
function ownHosts(port: number | undefined): string[] {
  return ['127.0.0.1', 'localhost', '[::1]'].map((name) => `${name}:${port}`);
}

/**
 * Why a request to the lab API or the dashboard does not come from the stack's own origin, or
 * undefined when it does. The lab API kills pods and has no login: it is for this machine's
 * user, their CLI and the dashboard page it serves, never for another web page in their browser.
 * - `Host` must be the listening address: a DNS-rebinding page (`evil.example` resolving to
 *   127.0.0.1) reaches the port with its own name, and the browser then lets it read the answers.
 * - `Origin`, when a browser sends one, must be this origin; `Sec-Fetch-Site` must not be
 *   `cross-site` or `same-site` (another port of 127.0.0.1 is the same site). Browsers send
 *   "simple" cross-site requests (a `text/plain` POST, an `<img>`) without asking first; only
 *   a top-level GET navigation (someone following a link to the page) is let through.
 * Clients outside a browser (the CLI, the drivers, curl) send neither header and pass.
 */
export function foreignRequestError(
  request: LabRequest,
): LabHttpError | undefined {
  const port = request.socket.localPort;
  const host = (request.headers.host ?? '').toLowerCase();
  if (!ownHosts(port).includes(host)) {
    return new LabHttpError(
      421,
      `the lab API answers to its own address only (http://127.0.0.1:${port}), not to Host "${request.headers.host ?? ''}"`,
    );
  }
  // Anything but a path (`http://other/...`, `*`) names another target than this server.
  if (!request.url?.startsWith('/'))
    return new LabHttpError(400, 'the request target must be a path');
  const origin = request.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) {
    return new LabHttpError(
      403,
      `requests from origin ${origin} are refused: the lab API serves http://${host} only`,
    );
  }
  const site = request.headers['sec-fetch-site'];
  const navigation =
    SAFE_METHODS.has(request.method ?? 'GET') &&
    request.headers['sec-fetch-mode'] === 'navigate';
  if ((site === 'cross-site' || site === 'same-site') && !navigation) {
    return new LabHttpError(
      403,
      `a ${site} request is refused: the lab API serves pages of its own origin only`,
    );
  }
  return undefined;
}

/**
 * The request's URL, its target read as a path: `new URL(target, base)` would read `//x/...` as
 * host x (and throw on `//[`, a 500), where a path after the origin never throws.
 */
export function labUrlOf(request: Pick<IncomingMessage, 'url'>): URL {
  return new URL(`http://lab${request.url ?? '/'}`);
}

/** One path segment, decoded: `%E0%A4%A` is a bad request, not an exception. */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new LabHttpError(
      400,
      `malformed path: "${segment}" is not URI-encoded text`,
    );
  }
}

/**
 * A JSON object body, sent as `application/json`. Any other type is refused before parsing: a
 * `text/plain` or form body is what a page on another site can send without a preflight.
 */
export function jsonObjectBody(
  request: Pick<IncomingMessage, 'headers'>,
  body: Buffer,
  shape = '',
): Record<string, unknown> {
  const type = (request.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (type !== 'application/json') {
    throw new LabHttpError(
      415,
      `send the body as Content-Type: application/json${type ? `, not ${type}` : ''}`,
    );
  }
  const expected = `body must be a JSON object${shape ? `: ${shape}` : ''}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString() || '{}');
  } catch {
    throw new LabHttpError(400, expected);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new LabHttpError(400, expected);
  return parsed as Record<string, unknown>;
}

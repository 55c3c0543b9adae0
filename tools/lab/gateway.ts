import {
  createServer,
  Agent,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import httpProxy from 'http-proxy';
import type { Pod } from './pod';
import { routeFor, type Route } from './routing-table';

export const AFFINITY_COOKIE = 'lab-affinity';
const MAX_BODY_BYTES = 1024 * 1024;
const IDEMPOTENT_METHODS = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'PUT',
  'DELETE',
  'TRACE',
]);

/** Settings that can change while the gateway runs (`PATCH /_lab/gateway`). */
export interface GatewaySettings {
  /** Turning affinity off shows the classic bug: a memory session store behind round-robin. */
  legacyCartAffinity: boolean;
}

export interface GatewayOptions {
  readyPods: (app: string) => Pod[];
  settings: GatewaySettings;
  /** Requests the gateway does not route (the lab API). */
  fallback: (
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
  ) => void;
  onProxied?: (app: string, pod: Pod, status: number) => void;
}

export function sendJson(
  response: ServerResponse,
  statusCode: number,
  body: unknown,
): void {
  if (response.headersSent) return void response.destroy();
  response.writeHead(statusCode, {
    'content-type': 'application/json; charset=utf-8',
  });
  response.end(JSON.stringify(body));
}

function gatewayError(
  response: ServerResponse,
  statusCode: 502 | 503 | 404 | 413,
  message: string,
) {
  const error = {
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    404: 'Not Found',
    413: 'Payload Too Large',
  }[statusCode];
  sendJson(response, statusCode, { statusCode, error, message });
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * What the entry point says about the client, from its own socket, never from what the client
 * wrote: the client's X-Forwarded-* (any spelling, `_` included), X-Real-IP and Forwarded are
 * dropped, then X-Forwarded-For is set to the one address the gateway saw. Appending instead
 * (http-proxy's `xfwd`) let a client choose its address for the login limiter. Traefik does the
 * same for a client outside `forwardedHeaders.trustedIPs` (docs/kubernetes.md).
 */
function overwriteForwardedHeaders(request: IncomingMessage): void {
  for (const name of Object.keys(request.headers)) {
    const canonical = name.replaceAll('_', '-');
    if (
      canonical.startsWith('x-forwarded-') ||
      canonical === 'x-real-ip' ||
      canonical === 'forwarded'
    ) {
      delete request.headers[name];
    }
  }
  const { remoteAddress, localPort } = request.socket;
  request.headers['x-forwarded-for'] = remoteAddress ?? '';
  request.headers['x-forwarded-proto'] = 'http';
  request.headers['x-forwarded-port'] = String(localPort ?? '');
  if (request.headers.host)
    request.headers['x-forwarded-host'] = request.headers.host;
}

function cookieValue(
  request: IncomingMessage,
  name: string,
): string | undefined {
  const match = new RegExp(`(?:^|;\\s*)${name}=([^;]+)`).exec(
    request.headers.cookie ?? '',
  );
  return match?.[1];
}

/**
 * A retry is safe when nothing reached the upstream (connection refused), or when the method is
 * idempotent or the request carries an Idempotency-Key and the connection failed before any
 * response header arrived — ingress-nginx's `proxy_next_upstream error`, plus the one case an
 * idempotency key makes safe.
 */
function retryable(
  error: NodeJS.ErrnoException,
  request: IncomingMessage,
): boolean {
  if (error.code === 'ECONNREFUSED') return true;
  const safe =
    IDEMPOTENT_METHODS.has(request.method ?? 'GET') ||
    !!request.headers['idempotency-key'];
  return (
    safe && ['ECONNRESET', 'EPIPE', 'ECONNABORTED'].includes(error.code ?? '')
  );
}

/**
 * Ingress + Service of the local stack: path routing, round-robin over ready pods, the client's
 * address in X-Forwarded-For (overwritten, never appended to), cookie affinity for cart-legacy,
 * retries on another pod when an upstream connection fails before a response, keep-alive to
 * upstreams, JSON 502/503 when nothing can answer.
 */
export function createGateway(options: GatewayOptions): Server {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 256,
    // With a limit of its own, Node's agent also honours a pod's `Keep-Alive: timeout=5` hint and
    // drops an idle connection a second before the pod closes it. Without one it keeps it and may
    // send a POST down a socket the pod is closing: reset, not retryable, a 502.
    timeout: 60_000,
  });
  const proxy = httpProxy.createProxyServer({
    agent,
    // Off: http-proxy's xfwd appends to the client's X-Forwarded-*; overwriteForwardedHeaders sets them.
    xfwd: false,
    proxyTimeout: 30_000,
  });
  const cursors = new Map<string, number>();

  proxy.on('proxyRes', (proxyResponse, request) => {
    const context = (
      request as IncomingMessage & { labContext?: { route: Route; pod: Pod } }
    ).labContext;
    if (!context) return;
    options.onProxied?.(
      context.route.app,
      context.pod,
      proxyResponse.statusCode ?? 0,
    );
    if (context.route.affinity && options.settings.legacyCartAffinity) {
      const existing = proxyResponse.headers['set-cookie'] ?? [];
      proxyResponse.headers['set-cookie'] = [
        ...existing,
        `${AFFINITY_COOKIE}=${context.pod.name}; Path=${context.route.prefix}; HttpOnly; SameSite=Lax`,
      ];
    }
  });

  const choose = (
    route: Route,
    request: IncomingMessage,
    exclude: Set<string>,
  ): Pod | undefined => {
    const candidates = options
      .readyPods(route.app)
      .filter((pod) => !exclude.has(pod.name));
    if (candidates.length === 0) return undefined;
    if (route.affinity && options.settings.legacyCartAffinity) {
      const pinned = cookieValue(request, AFFINITY_COOKIE);
      const sticky = candidates.find((pod) => pod.name === pinned);
      if (sticky) return sticky;
    }
    const cursor = (cursors.get(route.app) ?? 0) % candidates.length;
    cursors.set(route.app, cursor + 1);
    return candidates[cursor];
  };

  const forward = (
    route: Route,
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
    tried: Set<string>,
  ): void => {
    const pod = choose(route, request, tried);
    if (!pod) {
      return tried.size === 0
        ? gatewayError(response, 503, `no ready pod for ${route.app}`)
        : gatewayError(
            response,
            502,
            `${route.app}: every pod tried failed (${[...tried].join(', ')})`,
          );
    }
    tried.add(pod.name);
    (request as IncomingMessage & { labContext?: unknown }).labContext = {
      route,
      pod,
    };
    proxy.web(
      request,
      response,
      { target: `http://127.0.0.1:${pod.port}`, buffer: Readable.from([body]) },
      (error: NodeJS.ErrnoException) => {
        if (!response.headersSent && retryable(error, request)) {
          return forward(route, request, response, body, tried);
        }
        gatewayError(
          response,
          502,
          `${route.app} pod ${pod.name} failed: ${error.code ?? error.message}`,
        );
      },
    );
  };

  return createServer(async (request, response) => {
    // The entry point names every request (as an ingress controller does); pods log and echo it.
    const incoming = request.headers['x-request-id'];
    const requestId =
      typeof incoming === 'string' && incoming ? incoming : randomUUID();
    request.headers['x-request-id'] = requestId;
    response.setHeader('x-request-id', requestId);
    const body = await readBody(request).catch(() => undefined);
    if (!body) return gatewayError(response, 413, 'request body too large');
    const route = routeFor(request.url ?? '/');
    if (!route) return options.fallback(request, response, body);
    overwriteForwardedHeaders(request);
    forward(route, request, response, body, new Set());
  });
}

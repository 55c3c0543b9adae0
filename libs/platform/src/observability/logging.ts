import type { Params } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { currentPodName } from '../pod-identity';
import type { RequestWithId } from './request-id';

/** Nest's level names, as LOG_LEVEL takes them, mapped to pino's. */
const PINO_LEVELS: Record<string, string> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

function prettyTransport() {
  // Pretty lines for a person at a terminal; JSON (one object per line) everywhere else.
  if (!process.stdout.isTTY) return undefined;
  try {
    require.resolve('pino-pretty');
    return {
      target: 'pino-pretty',
      options: { singleLine: true, translateTime: 'HH:MM:ss.l' },
    };
  } catch {
    return undefined;
  }
}

type RequestWithUser = IncomingMessage & {
  user?: { id?: string };
  session?: { userId?: string };
};

/**
 * Structured logs through nestjs-pino: pod, app, request id, user id and latency on every request
 * line. Headers and bodies are never logged (tokens, passwords, cookies and session ids live
 * there); the redaction list is a second line of defence for anything logged by hand.
 */
export function loggingParams(app: string): Params {
  return {
    pinoHttp: {
      level: PINO_LEVELS[process.env.LOG_LEVEL ?? 'log'] ?? 'info',
      base: { app, pod: currentPodName() },
      transport: prettyTransport(),
      // Assigned (from x-request-id or new) by the first middleware, before the body parser.
      genReqId: (request) => (request as RequestWithId).id ?? 'unknown',
      customProps: (request) => {
        const user = request as RequestWithUser;
        const userId = user.user?.id ?? user.session?.userId;
        return userId ? { userId } : {};
      },
      serializers: {
        req: (request: { id?: string; method?: string; url?: string }) => ({
          id: request.id,
          method: request.method,
          url: request.url,
        }),
        res: (response: { statusCode?: number }) => ({
          statusCode: response.statusCode,
        }),
      },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          '*.password',
          '*.access_token',
          '*.refresh_token',
          '*.accessToken',
        ],
        censor: '[redacted]',
      },
      autoLogging: {
        ignore: (request) => {
          const url = request.url ?? '';
          return url.startsWith('/healthz') || url === '/metrics';
        },
      },
    },
  };
}

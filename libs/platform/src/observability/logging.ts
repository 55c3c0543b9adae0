import type { Params } from 'nestjs-pino';
import { pino, type Logger, type LoggerOptions } from 'pino';
import { logLevelChosen } from '../config/early-environment';
import { currentPodName } from '../pod-identity';
import { stdoutDestination } from './log-destination';

/** Nest's level names, as LOG_LEVEL takes them, mapped to pino's. */
const PINO_LEVELS: Record<string, string> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** The DI token of an app's root pino logger (the one the access log writes with). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

function prettyTransport(): LoggerOptions['transport'] {
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

/**
 * An app's one pino logger: pod and app on every line. Request lines never carry headers or
 * bodies (tokens, passwords, cookies and session ids live there: see access-log.ts); the
 * redaction list is a second line of defence for anything logged by hand.
 */
export function createRootLogger(app: string): Logger {
  const transport = prettyTransport();
  const options: LoggerOptions = {
    level: PINO_LEVELS[logLevelChosen()],
    base: { app, pod: currentPodName() },
    transport,
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
  };
  // JSON lines: stdout, one write per event-loop turn (log-destination.ts says what that costs).
  return transport ? pino(options) : pino(options, stdoutDestination());
}

/**
 * nestjs-pino routes Nest's own logger (start-up, `new Logger(...)` in services, errors)
 * through the root logger. Its per-request middleware is not mounted (`forRoutes: []`): it made
 * three child loggers and an AsyncLocalStorage context per request: 39% of GET /orders' CPU
 * (tools/bench/README.md); the request line comes from access-log.ts instead,
 * and the one log line written inside a request (a 5xx) names its request id itself.
 */
export function loggingParams(logger: Logger): Params {
  return { pinoHttp: { logger }, forRoutes: [] };
}

import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  type HttpServer,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRedisUnavailableError } from './dependency-errors';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/** Reason phrases for the codes this project answers with, for the `error` field. */
function reasonPhrase(status: number): string {
  const name = HttpStatus[status];
  if (!name) return 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

/** Errors thrown by Express middleware (body-parser) carry an HTTP status and a safe message. */
function isClientErrorFromMiddleware(
  error: unknown,
): error is Error & { status: number; expose: true } {
  const candidate = error as { status?: unknown; expose?: unknown };
  return (
    typeof candidate?.status === 'number' &&
    candidate.status >= 400 &&
    candidate.status < 500 &&
    candidate.expose === true
  );
}

export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : ((response as { message?: string | string[] }).message ??
          exception.message);
    return { statusCode: status, error: reasonPhrase(status), message };
  }
  if (isClientErrorFromMiddleware(exception)) {
    return {
      statusCode: exception.status,
      error: reasonPhrase(exception.status),
      message: exception.message,
    };
  }
  if (isRedisUnavailableError(exception)) {
    return {
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      error: reasonPhrase(HttpStatus.SERVICE_UNAVAILABLE),
      message: 'Redis is unavailable; try again shortly',
    };
  }
  return {
    statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
    error: reasonPhrase(HttpStatus.INTERNAL_SERVER_ERROR),
    message: 'Internal server error',
  };
}

/**
 * One error shape for every service: `{statusCode, error, message}`. Stack traces go to the log,
 * never to the client.
 */
@Catch()
export class JsonExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  /** Express or Fastify: their request and response objects differ, the adapter knows both. */
  constructor(private readonly adapter: HttpServer) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<object>();
    const request = http.getRequest<IncomingMessage & { id?: unknown }>();
    const adapter = this.adapter;
    const body = toErrorBody(exception);
    if (body.statusCode >= 500) {
      // The request id by hand: requests run without a logging context (see logging.ts).
      this.logger.error(
        {
          req: {
            id: request.id,
            method: adapter.getRequestMethod?.(request),
            url: adapter.getRequestUrl?.(request),
          },
          err: exception,
        },
        'unhandled error',
      );
    }
    if (adapter.isHeadersSent(response)) {
      // Fastify's reply wraps Node's response; Express's is one.
      (
        (response as { raw?: ServerResponse }).raw ??
        (response as ServerResponse)
      ).destroy();
      return;
    }
    const retryAfter = (exception as { retryAfterSeconds?: unknown })
      ?.retryAfterSeconds;
    if (typeof retryAfter === 'number')
      adapter.setHeader(response, 'Retry-After', String(retryAfter));
    adapter.reply(response, body, body.statusCode);
  }
}

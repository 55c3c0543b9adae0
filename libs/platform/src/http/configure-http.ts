import { StandardSchemaValidationPipe } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { POD_NAME_HEADER } from '@app/contracts';
import type { PlatformEnvironment } from '../config/platform-environment';
import {
  JsonExceptionFilter,
  toErrorBody,
} from '../errors/json-exception.filter';
import { ReadinessState } from '../health/readiness.state';
import { accessLoggerOf, observeRequest } from '../observability/access-log';
import { ROOT_LOGGER } from '../observability/logging';
import { httpRequestDuration } from '../observability/metrics';
import { assignRequestId } from '../observability/request-id';
import { currentPodName } from '../pod-identity';

/** Request bodies are small JSON documents; anything bigger is a mistake or an attack. */
export const REQUEST_BODY_LIMIT = '100kb';

/**
 * The HTTP conventions every service shares: a request id and the serving pod's name on every
 * response, request durations and an access-log line, a JSON body limit, one error shape, schema validation of bodies.
 */
export function configureHttp(app: NestExpressApplication): void {
  const podName = currentPodName();
  const readiness = app.get(ReadinessState, { strict: false });
  const logger = accessLoggerOf(
    app.get<symbol, Logger>(ROOT_LOGGER, { strict: false }),
  );
  app.disable('x-powered-by');
  // The client address (req.ip, the login limiter's key) is the last X-Forwarded-For hop added
  // by a peer in TRUST_PROXY: the entry point, which overwrites whatever the client sent. Any
  // other peer is the client itself, whatever header it wrote.
  app.set(
    'trust proxy',
    app
      .get<ConfigService<PlatformEnvironment, true>>(ConfigService)
      .get('TRUST_PROXY', { infer: true }),
  );
  const requestDuration = httpRequestDuration();
  app.use((request: Request, response: Response, next: NextFunction) => {
    assignRequestId(request, response);
    response.setHeader(POD_NAME_HEADER, podName);
    observeRequest(request, response, logger, requestDuration);
    // Once shutdown has started, every response asks the client to reconnect (to another pod)
    // instead of reusing a keep-alive connection to this one.
    if (readiness.isShuttingDown) response.setHeader('connection', 'close');
    next();
  });
  app.useBodyParser('json', { limit: REQUEST_BODY_LIMIT });
  app.useGlobalFilters(new JsonExceptionFilter());
  app.useGlobalPipes(new StandardSchemaValidationPipe());
}

/**
 * Body-parser errors (413, malformed JSON) happen in Express middleware, before Nest's filters
 * see the request; this Express error handler gives them the same JSON shape.
 */
export function installMiddlewareErrorHandler(
  app: NestExpressApplication,
): void {
  app.use(
    (
      error: unknown,
      _request: Request,
      response: Response,
      next: NextFunction,
    ) => {
      if (response.headersSent) return next(error);
      const body = toErrorBody(error);
      response.status(body.statusCode).json(body);
    },
  );
}

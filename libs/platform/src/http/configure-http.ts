import {
  StandardSchemaValidationPipe,
  type INestApplication,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
import { installExpressLikeJsonParser } from './fastify-json-parser';
import { REQUEST_BODY_LIMIT, type HttpAdapterName } from './http-adapter';

export { REQUEST_BODY_LIMIT } from './http-adapter';

/** Which adapter an app was created with (Nest's own name for it). */
export function adapterOf(app: INestApplication): HttpAdapterName {
  return app.getHttpAdapter().getType() === 'fastify' ? 'fastify' : 'express';
}

/**
 * The HTTP conventions every service shares, on either adapter: a request id and the serving
 * pod's name on every response, request durations and an access-log line, a JSON body limit, one
 * error shape, schema validation of bodies.
 */
export function configureHttp(app: INestApplication): void {
  const podName = currentPodName();
  const readiness = app.get(ReadinessState, { strict: false });
  const logger = accessLoggerOf(
    app.get<symbol, Logger>(ROOT_LOGGER, { strict: false }),
  );
  const requestDuration = httpRequestDuration();
  /** What every request gets first, whichever adapter serves it. */
  const stamp = (request: IncomingMessage, response: ServerResponse) => {
    assignRequestId(request, response);
    response.setHeader(POD_NAME_HEADER, podName);
    // Once shutdown has started, every response asks the client to reconnect (to another pod)
    // instead of reusing a keep-alive connection to this one.
    if (readiness.isShuttingDown) response.setHeader('connection', 'close');
  };
  if (adapterOf(app) === 'fastify') {
    const fastify = (app as NestFastifyApplication)
      .getHttpAdapter()
      .getInstance();
    // Declared up front, so that Fastify's request objects keep one shape (the guard sets it).
    fastify.decorateRequest('user', undefined);
    // A hook, not Nest middleware: Nest on Fastify hands middleware the raw Node objects and
    // runs it through middie, and this must run for unmatched routes and body errors too.
    fastify.addHook('onRequest', (request, reply, done) => {
      stamp(request.raw, reply.raw);
      request.id = request.raw.id as string;
      observeRequest(
        request,
        reply.raw,
        logger,
        requestDuration,
        () => request.routeOptions.url,
      );
      done();
    });
    installExpressLikeJsonParser(fastify);
  } else {
    const express = app as NestExpressApplication;
    express.disable('x-powered-by');
    // The client address (req.ip, the login limiter's key) is the last X-Forwarded-For hop added
    // by a peer in TRUST_PROXY: the entry point, which overwrites whatever the client sent. Any
    // other peer is the client itself, whatever header it wrote. (Fastify: http-adapter.ts.)
    express.set(
      'trust proxy',
      app
        .get<ConfigService<PlatformEnvironment, true>>(ConfigService)
        .get('TRUST_PROXY', { infer: true }),
    );
    express.use((request: Request, response: Response, next: NextFunction) => {
      stamp(request, response);
      observeRequest(request, response, logger, requestDuration);
      next();
    });
    express.useBodyParser('json', { limit: REQUEST_BODY_LIMIT });
  }
  app.useGlobalFilters(new JsonExceptionFilter(app.getHttpAdapter()));
  app.useGlobalPipes(new StandardSchemaValidationPipe());
}

/**
 * Body-parser errors (413, malformed JSON) happen in Express middleware, before Nest's filters
 * see the request; this Express error handler gives them the same JSON shape. On Fastify they
 * reach Nest's error handler, and so the JSON filter, by themselves.
 */
export function installMiddlewareErrorHandler(app: INestApplication): void {
  if (adapterOf(app) !== 'express') return;
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

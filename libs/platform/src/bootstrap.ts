import {
  Logger,
  type DynamicModule,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { logLevelChosen } from './config/early-environment';
import {
  logLevelsFrom,
  type PlatformEnvironment,
} from './config/platform-environment';
import {
  configureHttp,
  installMiddlewareErrorHandler,
} from './http/configure-http';
import { createHttpAdapter, type HttpAdapterName } from './http/http-adapter';
import { currentPodName } from './pod-identity';
import { installGracefulShutdown } from './shutdown/graceful-shutdown';

export interface ServiceOptions {
  /** The Nest HTTP adapter; the conventions (configure-http.ts) are the same on both. */
  adapter: HttpAdapterName;
  /** App-specific set-up before init (e.g. cart's route prefix). */
  configure?: (app: INestApplication) => void;
}

/** Builds a Nest application with the shared HTTP conventions; used by main.ts and by tests. */
export async function createService(
  rootModule: Type | DynamicModule,
  { adapter, configure }: ServiceOptions,
): Promise<INestApplication> {
  const level = logLevelChosen();
  const app = await NestFactory.create(
    rootModule,
    await createHttpAdapter(adapter),
    {
      bodyParser: false,
      // Throw instead of process.abort(), and hold Nest's own logs (which would print the failure
      // with a stack trace) until start-up succeeds: the caller reports a bad start in one line.
      abortOnError: false,
      bufferLogs: true,
      autoFlushLogs: false,
      logger: logLevelsFrom(level),
    },
  );
  // Nest's own log lines (and the buffered start-up ones) go through pino from here on.
  app.useLogger(app.get(PinoLogger));
  configureHttp(app);
  configure?.(app);
  await app.init();
  installMiddlewareErrorHandler(app);
  // Started: write the held lines, and every later one as it comes.
  app.flushLogs();
  return app;
}

/** Starts one service process: configuration checked, listening on HOST:PORT, graceful on SIGTERM. */
export async function bootstrapService(
  serviceName: string,
  rootModule: Type | DynamicModule,
  options: ServiceOptions,
): Promise<void> {
  const startedAt = performance.now();
  let app: INestApplication;
  try {
    app = await createService(rootModule, options);
  } catch (error) {
    // One line, no stack: the usual cause is a missing or malformed environment variable.
    console.error(`${serviceName}: cannot start: ${(error as Error).message}`);
    const level = logLevelChosen();
    if (level === 'debug' || level === 'verbose') {
      console.error((error as Error).stack);
    }
    process.exit(1);
  }
  const config =
    app.get<ConfigService<PlatformEnvironment, true>>(ConfigService);
  installGracefulShutdown(app, {
    drainMs: config.get('SHUTDOWN_DRAIN_MS', { infer: true }),
  });
  const port = config.get('PORT', { infer: true });
  const host = config.get('HOST', { infer: true });
  // Which adapter serves this pod, for a reader of the log (and the spec that compares both).
  new Logger(serviceName).log(`HTTP adapter: ${options.adapter}`);
  await app.listen(port, host);
  new Logger(serviceName).log(
    `${currentPodName()} listening on ${host.includes(':') ? `[${host}]` : host}:${port}, ready in ${Math.round(performance.now() - startedAt)} ms`,
  );
}

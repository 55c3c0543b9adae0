import { Global, Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { currentPodName } from '../pod-identity';
import { createRootLogger, loggingParams, ROOT_LOGGER } from './logging';
import { collectProcessMetrics } from './metrics';
import { MetricsController } from './metrics.controller';

/** Structured logs and `/metrics` for one app; every app module imports it once. */
@Global()
@Module({})
export class ObservabilityModule {
  static forApp(app: string): DynamicModule {
    collectProcessMetrics({ app, pod: currentPodName() });
    const logger = createRootLogger(app);
    return {
      module: ObservabilityModule,
      imports: [LoggerModule.forRoot(loggingParams(logger))],
      providers: [{ provide: ROOT_LOGGER, useValue: logger }],
      exports: [ROOT_LOGGER],
      controllers: [MetricsController],
    };
  }
}

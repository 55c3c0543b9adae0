import { Global, Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { currentPodName } from '../pod-identity';
import { loggingParams } from './logging';
import { collectProcessMetrics } from './metrics';
import { MetricsController } from './metrics.controller';

/** Structured logs and `/metrics` for one app; every app module imports it once. */
@Global()
@Module({})
export class ObservabilityModule {
  static forApp(app: string): DynamicModule {
    collectProcessMetrics({ app, pod: currentPodName() });
    return {
      module: ObservabilityModule,
      imports: [LoggerModule.forRoot(loggingParams(app))],
      controllers: [MetricsController],
    };
  }
}

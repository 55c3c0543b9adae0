import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { Public } from '../public.decorator';
import { ReadinessState } from './readiness.state';

/**
 * Probes, answered by the pod itself (never routed by the entry point).
 * Liveness depends on nothing outside the process: a Redis outage must not restart every pod.
 * Readiness does not depend on Redis either: when the shared store is down every replica is
 * equally affected, and pulling them all out of the endpoints would turn a partial outage (reads
 * of the menu, JWKS, health) into a total one. Requests that need Redis fail fast with 503.
 */
@Public()
@Controller('healthz')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: ReadinessState,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.indicators.check('process').up()]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const session = this.indicators.check('shutdown');
        return this.readiness.isShuttingDown
          ? session.down('shutting down')
          : session.up();
      },
    ]);
  }
}

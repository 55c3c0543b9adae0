import { Logger, type INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadinessState } from '../health/readiness.state';
import { counter } from '../observability/metrics';

/**
 * How long in-flight requests get once the listener is closed, unless the caller says otherwise.
 * Exported because the manifests depend on it: terminationGracePeriodSeconds must exceed preStop +
 * drain + this budget (tools/k8s-policy checks the inequality with this very constant).
 */
export const IN_FLIGHT_TIMEOUT_MS = 10_000;

export interface GracefulShutdownOptions {
  /** Keep serving this long after SIGTERM, while endpoints stop routing to this pod. */
  drainMs: number;
  /** In-flight requests get this long to finish once the listener is closed. */
  inFlightTimeoutMs?: number;
}

/**
 * SIGTERM (or SIGINT) → readiness false → drain delay (still serving) → stop accepting → finish
 * in-flight requests (idle keep-alive sockets closed) → close Redis (onApplicationShutdown) →
 * exit 0. Nest's own enableShutdownHooks re-raises the signal after closing, which ends the
 * process with 143 instead of 0, so the sequence is driven here.
 */
export function installGracefulShutdown(
  app: INestApplication,
  {
    drainMs,
    inFlightTimeoutMs = IN_FLIGHT_TIMEOUT_MS,
  }: GracefulShutdownOptions,
): void {
  const logger = new Logger('Shutdown');
  const readiness = app.get(ReadinessState);
  let shuttingDown = false;

  const shutdown = async (signal: NodeJS.Signals) => {
    if (shuttingDown) return;
    shuttingDown = true;
    readiness.markShuttingDown();
    counter(
      'shutdown_drains_total',
      'Graceful shutdowns started (SIGTERM/SIGINT)',
    ).inc();
    logger.log(`${signal} received: not ready, draining for ${drainMs} ms`);
    await sleep(drainMs);

    const server = app.getHttpServer() as Server;
    // A request that outlives the in-flight budget is cut so the pod still exits in its grace period.
    const forceClose = setTimeout(() => {
      logger.warn(
        'in-flight requests did not finish in time; closing their connections',
      );
      server.closeAllConnections();
    }, inFlightTimeoutMs);
    forceClose.unref();
    // server.close() drops idle keep-alive sockets once; a socket that turns idle afterwards
    // (its last response just sent) would otherwise hold the process for the keep-alive timeout.
    const closeIdle = setInterval(() => server.closeIdleConnections(), 50);
    closeIdle.unref();
    try {
      await app.close();
      logger.log('stopped cleanly');
      process.exit(0);
    } catch (error) {
      logger.error(`shutdown failed: ${(error as Error).message}`);
      process.exit(1);
    }
  };

  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));
}

import {
  Counter,
  Gauge,
  Histogram,
  collectDefaultMetrics,
  register,
} from 'prom-client';

let defaultsCollected = false;

/** Node process metrics (CPU, memory, event loop lag, GC) once per process. */
export function collectProcessMetrics(labels: Record<string, string>): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  register.setDefaultLabels(labels);
  collectDefaultMetrics({ register });
}

/**
 * A counter in the process registry, created on first use: one process is one pod of one app,
 * so the global registry is the pod's. Label values must stay few (reasons, stores), never ids.
 */
export function counter<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Counter<L> {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [register] });
}

/**
 * A gauge in the process registry whose value is read at scrape time (`read`), created on first
 * use: for sizes the process can count itself (e.g. sessions held in memory).
 */
export function gauge(name: string, help: string, read: () => number): Gauge {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Gauge;
  return new Gauge({
    name,
    help,
    registers: [register],
    collect() {
      this.set(read());
    },
  });
}

export const httpRequestDuration = (): Histogram<
  'method' | 'route' | 'status'
> => {
  const existing = register.getSingleMetric('http_request_duration_seconds');
  if (existing) return existing as Histogram<'method' | 'route' | 'status'>;
  return new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, method and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [register],
  });
};

export const metricsRegistry = register;

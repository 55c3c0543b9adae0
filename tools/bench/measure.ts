import autocannon, { type AutocannonRequest } from 'autocannon';
import { cpuMilliseconds } from './processes';
import { median, percentile, spread, type Spread } from './statistics';

/** What one row loads: a URL and the request to repeat (or a function building each request). */
export interface LoadTarget {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Called for every request: a distinct Idempotency-Key, another session cookie, ... */
  nextRequest?: (request: AutocannonRequest) => AutocannonRequest;
  /** The one process that answers (a pod or a baseline, no gateway): its CPU per request. */
  pid?: number;
}

export interface LoadPlan {
  rounds: number;
  roundSeconds: number;
  /** Load before the measured rounds (JIT, connection pools, caches), not reported. */
  warmupSeconds: number;
  connections: number;
}

export interface Round {
  requestsPerSecond: number;
  requests: number;
  non2xx: number;
  /** Socket errors, including timeouts. */
  socketErrors: number;
  statusCodes: Record<string, number>;
}

export interface Measurement {
  connections: number;
  rounds: Round[];
  requestsPerSecond: { median: number } & Spread;
  /** Over every response of every measured round (not a median of per-round percentiles). */
  latencyMs: { p50: number; p99: number };
  errors: { non2xx: number; socket: number; total: number };
  statusCodes: Record<string, number>;
  /**
   * The serving process's user + system CPU over the measured rounds, per response (µs), when
   * one process answers: a busy neighbour moves it less than req/s.
   */
  cpuMicrosecondsPerRequest?: number;
}

interface RunResult {
  round: Round;
  latencies: number[];
}

async function run(
  target: LoadTarget,
  seconds: number,
  connections: number,
): Promise<RunResult> {
  const latencies: number[] = [];
  const instance = autocannon({
    url: target.url,
    connections,
    duration: seconds,
    timeout: 10,
    method: target.method ?? 'GET',
    headers: target.headers,
    body: target.body,
    requests: target.nextRequest
      ? [{ setupRequest: target.nextRequest }]
      : undefined,
  });
  // autocannon's own latency histogram counts whole milliseconds; most rows here answer in
  // less than one, so the response times are kept at full (sub-millisecond) precision instead.
  instance.on(
    'response',
    (_client: unknown, _status: number, _bytes: number, time: number) =>
      latencies.push(time),
  );
  const result = await instance;
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, { count }]) => [
      code,
      Number(count),
    ]),
  );
  return {
    latencies,
    round: {
      requestsPerSecond: result.requests.total / result.duration,
      requests: result.requests.total,
      non2xx: result.non2xx,
      socketErrors: result.errors,
      statusCodes,
    },
  };
}

/** A warm-up (discarded), then `rounds` rounds of the same load; median and spread of req/s. */
export async function measure(
  target: LoadTarget,
  plan: LoadPlan,
): Promise<Measurement> {
  if (plan.warmupSeconds > 0)
    await run(target, plan.warmupSeconds, plan.connections);
  const rounds: Round[] = [];
  let latencies: number[] = [];
  const cpuBefore = target.pid ? cpuMilliseconds(target.pid) : undefined;
  for (let index = 0; index < plan.rounds; index++) {
    const result = await run(target, plan.roundSeconds, plan.connections);
    rounds.push(result.round);
    // concat, not push(...): a full round holds more samples than a call may take arguments.
    latencies = latencies.concat(result.latencies);
  }
  const cpuSpentMs =
    cpuBefore === undefined
      ? undefined
      : cpuMilliseconds(target.pid as number) - cpuBefore;
  const requests = rounds.reduce((sum, round) => sum + round.requests, 0);
  const rates = rounds.map((round) => round.requestsPerSecond);
  const non2xx = rounds.reduce((sum, round) => sum + round.non2xx, 0);
  const socket = rounds.reduce((sum, round) => sum + round.socketErrors, 0);
  const statusCodes: Record<string, number> = {};
  for (const round of rounds)
    for (const [code, count] of Object.entries(round.statusCodes))
      statusCodes[code] = (statusCodes[code] ?? 0) + count;
  return {
    connections: plan.connections,
    rounds,
    requestsPerSecond: { median: median(rates), ...spread(rates) },
    latencyMs: {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    },
    errors: { non2xx, socket, total: non2xx + socket },
    statusCodes,
    ...(cpuSpentMs !== undefined && requests > 0
      ? { cpuMicrosecondsPerRequest: (cpuSpentMs * 1000) / requests }
      : {}),
  };
}

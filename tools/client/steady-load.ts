import type { StoryResponse } from './story-client';

export interface LoadSample {
  /** ms since the load started */
  at: number;
  status: number;
  latencyMs: number;
  pod?: string;
}

/**
 * Closed-loop load: `workers` loops each calling `call(worker, iteration)` back to back until
 * `signal` aborts or `maxMs` passes. Bounded in time by construction.
 */
export async function steadyLoad(
  workers: number,
  call: (worker: number, iteration: number) => Promise<StoryResponse>,
  {
    signal,
    maxMs = 60_000,
    samples = [],
  }: {
    signal: AbortSignal;
    maxMs?: number;
    /** filled live, for watchers */ samples?: LoadSample[];
  },
): Promise<LoadSample[]> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (
        let iteration = 0;
        !signal.aborted && performance.now() - started < maxMs;
        iteration++
      ) {
        const sentAt = performance.now();
        const response = await call(worker, iteration);
        samples.push({
          at: sentAt - started,
          status: response.status,
          latencyMs: performance.now() - sentAt,
          pod: response.pod,
        });
      }
    }),
  );
  return samples.sort((a, b) => a.at - b.at);
}

export function failures(samples: LoadSample[]): LoadSample[] {
  return samples.filter(
    (sample) => sample.status === 0 || sample.status >= 500,
  );
}

import { createClient } from 'redis';
import { entryPointOf } from '../build/ensure-built';
import { measure, type LoadPlan } from './measure';
import { startOrderPod } from './order-pod';
import { cpuMilliseconds, type OwnProcesses } from './processes';
import type { BenchStack } from './stack';
import { median } from './statistics';

interface Side {
  requestsPerSecond: number;
  cpuMicrosecondsPerRequest: number;
  /** Every Redis command the pod sent, per request (INFO commandstats, summed over commands). */
  redisCommandsPerRequest: number;
}

export interface DenylistCost {
  route: string;
  cycles: number;
  roundSeconds: number;
  without: Side;
  with: Side;
  /** Medians of the per-cycle ratios, with ÷ without: req/s (< 1 = slower), CPU per request. */
  requestsPerSecondRatio: number;
  cpuPerRequestRatio: number;
}

async function redisCalls(redisUrl: string): Promise<number> {
  const client = createClient({ url: redisUrl });
  await client.connect();
  try {
    const info = await client.info('commandstats');
    return [...info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)]
      .filter(([, command]) => command !== 'info')
      .reduce((sum, [, , calls]) => sum + Number(calls), 0);
  } finally {
    await client.close();
  }
}

/**
 * What AUTH_REVOCATION=denylist costs per request: two order pods of the same bundle on the same
 * Redis and JWKS, one with the denylist, loaded in turn (the order alternating each cycle) on
 * the same route with the same token, so a busy neighbour slows both alike; req/s and the pods'
 * own CPU per request (/proc) as per-cycle ratios, and Redis commands per request (the EXISTS).
 */
export async function measureDenylistCost(
  stack: BenchStack,
  processes: OwnProcesses,
  logDirectory: string,
  accessToken: string,
  plan: LoadPlan,
  cycles: number,
): Promise<DenylistCost> {
  const [withoutPod, withPod] = await Promise.all(
    (['none', 'denylist'] as const).map((revocation) =>
      startOrderPod(
        entryPointOf('order'),
        `order-revocation-${revocation}`,
        stack,
        processes,
        logDirectory,
        { AUTH_REVOCATION: revocation, LOG_LEVEL: 'warn' },
      ),
    ),
  );
  const pods = [withoutPod, withPod];
  const target = (url: string) => ({
    url: `${url}/orders`,
    headers: { authorization: `Bearer ${accessToken}` },
  });
  // No warm-up inside a cycle: the pod's CPU and Redis's counters must cover only counted requests.
  const round = { ...plan, rounds: 1, warmupSeconds: 0 };
  // Warm both (JWKS fetched, token verified and cached) before anything counts.
  for (const pod of pods)
    await measure(target(pod.url), { ...round, roundSeconds: 2 });
  const samples = pods.map(() => ({
    rates: [] as number[],
    cpu: [] as number[],
    commands: [] as number[],
  }));
  for (let cycle = 0; cycle < cycles; cycle++) {
    const turn = cycle % 2 ? [1, 0] : [0, 1];
    for (const index of turn) {
      const pod = pods[index];
      const cpuBefore = cpuMilliseconds(pod.pid);
      const callsBefore = await redisCalls(stack.redisUrl);
      const measured = await measure(target(pod.url), round);
      const requests = measured.rounds.reduce(
        (sum, { requests: count }) => sum + count,
        0,
      );
      const calls = (await redisCalls(stack.redisUrl)) - callsBefore;
      samples[index].rates.push(measured.requestsPerSecond.median);
      samples[index].cpu.push(
        ((cpuMilliseconds(pod.pid) - cpuBefore) * 1000) / requests,
      );
      samples[index].commands.push(calls / requests);
    }
  }
  const side = (index: number): Side => ({
    requestsPerSecond: median(samples[index].rates),
    cpuMicrosecondsPerRequest: median(samples[index].cpu),
    redisCommandsPerRequest: median(samples[index].commands),
  });
  const perCycle = (key: 'rates' | 'cpu') =>
    median(
      samples[1][key].map((value, cycle) => value / samples[0][key][cycle]),
    );
  return {
    route: 'GET /orders (JWT, 0 orders)',
    cycles,
    roundSeconds: plan.roundSeconds,
    without: side(0),
    with: side(1),
    requestsPerSecondRatio: perCycle('rates'),
    cpuPerRequestRatio: perCycle('cpu'),
  };
}

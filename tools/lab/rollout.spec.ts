import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEPLOYMENT_NAMES } from '../deployments';
import {
  memoryLimitBytesOf,
  memoryQuantityBytes,
  rolloutStrategyOf,
} from './deployment-manifest';
import type { Pod, PodTemplate } from './pod';
import { httpProbe } from './probes';
import { resolveStrategy, rolloutStep } from './rollout-plan';
import { Supervisor } from './supervisor';

/**
 * A real server process per pod: ready on /healthz/ready, and on SIGTERM it answers 503 for a
 * moment (the drain) before it exits, as the apps do.
 */
const SERVER = `
const http = require('node:http');
let draining = false;
const server = http.createServer((req, res) => {
  res.statusCode = draining ? 503 : 200;
  res.end();
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  draining = true;
  setTimeout(() => process.exit(0), 300);
});
`;

const template: PodTemplate = {
  app: 'web',
  command: (name, port) => ({
    file: process.execPath,
    args: ['-e', SERVER],
    env: { PORT: String(port), POD_NAME: name },
  }),
  probe: (port) => httpProbe(port, '/healthz/ready'),
};

describe('rollout arithmetic (the Deployment controller)', () => {
  it('reads the strategy and the memory limit from the manifests', () => {
    for (const app of DEPLOYMENT_NAMES)
      expect(rolloutStrategyOf(app)).toEqual({
        maxSurge: 1,
        maxUnavailable: 0,
      });
    expect(memoryLimitBytesOf('cart-legacy')).toBe(256 * 2 ** 20);
    expect(memoryQuantityBytes('1G')).toBe(1e9);
    expect(() => memoryQuantityBytes('lots')).toThrow(/unsupported/);
  });

  it('resolves percentages as Kubernetes does (surge up, unavailable down)', () => {
    expect(
      resolveStrategy({ maxSurge: '25%', maxUnavailable: '25%' }, 3),
    ).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(resolveStrategy({ maxSurge: 0, maxUnavailable: '100%' }, 3)).toEqual(
      { maxSurge: 0, maxUnavailable: 3 },
    );
  });

  it('maxSurge 1, maxUnavailable 0: one new pod, then one old pod per new ready pod', () => {
    const rules = { maxSurge: 1, maxUnavailable: 0 };
    expect(
      rolloutStep(3, rules, { pods: 0, ready: 0 }, { pods: 3, ready: 3 }),
    ).toEqual({ start: 1, stop: 0 });
    expect(
      rolloutStep(3, rules, { pods: 1, ready: 0 }, { pods: 3, ready: 3 }),
    ).toEqual({ start: 0, stop: 0 });
    expect(
      rolloutStep(3, rules, { pods: 1, ready: 1 }, { pods: 3, ready: 3 }),
    ).toEqual({ start: 0, stop: 1 });
    // An old pod that is not ready serves nobody: it may go at once.
    expect(
      rolloutStep(3, rules, { pods: 1, ready: 0 }, { pods: 3, ready: 2 }),
    ).toEqual({ start: 0, stop: 1 });
  });

  it('maxUnavailable 100 %: every old pod at once', () => {
    expect(
      rolloutStep(
        3,
        { maxSurge: 1, maxUnavailable: 3 },
        { pods: 0, ready: 0 },
        { pods: 3, ready: 3 },
      ),
    ).toEqual({ start: 1, stop: 3 });
  });
});

describe('Supervisor.rolloutRestart with real processes', () => {
  let logDirectory: string;
  let supervisor: Supervisor | undefined;
  beforeEach(
    () => (logDirectory = mkdtempSync(join(tmpdir(), 'rollout-spec-'))),
  );
  afterEach(async () => {
    await supervisor?.shutdown(2000);
    rmSync(logDirectory, { recursive: true, force: true });
  });

  /** Every pod change, with the ready and live counts right after it. */
  async function rollOut(maxUnavailable: number | string) {
    const readyCounts: number[] = [];
    const liveCounts: number[] = [];
    const order: string[] = [];
    const pods = new Map<string, Pod>();
    const record = (pod: Pod) => {
      pods.set(pod.name, pod);
      const all = [...pods.values()];
      readyCounts.push(all.filter((candidate) => candidate.ready).length);
      liveCounts.push(
        all.filter(
          (candidate) =>
            candidate.status === 'Running' || candidate.status === 'Restarting',
        ).length,
      );
      order.push(`${pod.name} ${pod.status}${pod.ready ? ' ready' : ''}`);
    };
    supervisor = new Supervisor(logDirectory, (pod) => record(pod), 50);
    await supervisor.apply({
      kind: 'Deployment',
      replicas: 3,
      template,
      strategy: { maxSurge: 1, maxUnavailable },
    });
    await supervisor.waitAllReady(20_000);
    const before = supervisor.listPods().map((pod) => pod.name);
    readyCounts.length = 0;
    liveCounts.length = 0;
    order.length = 0;
    const rollout = supervisor.rolloutRestart('web', { gracePeriodMs: 2000 });
    expect(supervisor.isRollingOut('web')).toBe(true);
    await rollout;
    expect(supervisor.isRollingOut('web')).toBe(false);
    // Done as `kubectl rollout status` is done: the last old pod may still be draining.
    const after = supervisor
      .listPods()
      .filter((pod) => pod.status !== 'Terminating');
    return { before, after, readyCounts, liveCounts, order };
  }

  it('maxSurge 1, maxUnavailable 0: never fewer than 3 ready pods, never more than 4 running', async () => {
    const { before, after, readyCounts, liveCounts, order } = await rollOut(0);
    expect(after).toHaveLength(3);
    expect(after.every((pod) => pod.ready && !before.includes(pod.name))).toBe(
      true,
    );
    expect(Math.min(...readyCounts)).toBeGreaterThanOrEqual(3);
    expect(Math.max(...liveCounts)).toBe(4);
    // One at a time: each old pod is deleted only after a new pod became ready.
    const steps = order.filter(
      (line) => / Terminating$/.test(line) || / Running ready$/.test(line),
    );
    expect(steps.map((line) => line.split(' ').slice(1).join(' '))).toEqual([
      'Running ready',
      'Terminating',
      'Running ready',
      'Terminating',
      'Running ready',
      'Terminating',
    ]);
  }, 60_000);

  it('maxUnavailable 100 %: every old pod goes at once, the ready count falls to 0', async () => {
    const { after, readyCounts } = await rollOut('100%');
    expect(after).toHaveLength(3);
    expect(Math.min(...readyCounts)).toBe(0);
  }, 60_000);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PodTemplate } from '../../tools/lab/pod';
import { redisPingProbe } from '../../tools/lab/probes';
import { PodStartError, Supervisor } from '../../tools/lab/supervisor';
import { isAlive } from '../support/processes';

/** The stack's Redis pod, as local-stack.ts runs it, with whatever binary and port given. */
function redisTemplate(file: string, port: number): PodTemplate {
  return {
    app: 'redis',
    fixedPort: port,
    command: () => ({
      file,
      args: ['--port', String(port), '--bind', '127.0.0.1', '--save', ''],
      env: { PATH: process.env.PATH },
    }),
    probe: redisPingProbe,
  };
}

/** A pod that cannot start stops a booting stack at once, in one line naming it and the cause. */
describe('a pod that cannot start', () => {
  let logDirectory: string;
  let supervisor: Supervisor;
  const pids = new Set<number>();

  beforeEach(() => {
    logDirectory = mkdtempSync(join(tmpdir(), 'what-survives-pod-failure-'));
    pids.clear();
    supervisor = new Supervisor(logDirectory, (pod) => {
      if (pod.pid) pids.add(pod.pid);
    });
  });
  afterEach(async () => {
    await supervisor.shutdown(1000);
    rmSync(logDirectory, { recursive: true, force: true });
  });

  it('a port already taken: redis-server says so, the pod is named, no process is left', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      await supervisor.apply({
        kind: 'StatefulSet',
        replicas: 1,
        template: redisTemplate('redis-server', port),
      });
      const started = Date.now();
      const failure = await supervisor
        .waitAllReady(30_000, { failFast: true })
        .then(
          () => undefined,
          (error: Error) => error,
        );
      expect(failure).toBeInstanceOf(PodStartError);
      expect(failure?.message).toBe(
        `pod redis-0 exited (code 1) before it was ready: Warning: Could not create server TCP listening socket 127.0.0.1:${port}: bind: Address already in use`,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      await supervisor.shutdown(1000);
      expect(pids.size).toBeGreaterThan(0);
      expect([...pids].filter(isAlive)).toEqual([]);
    } finally {
      taken.close();
    }
  });

  it('a binary that is not there: no unhandled error, the pod is named with the cause', async () => {
    const missing = join(logDirectory, 'no-such-redis-server');
    await supervisor.apply({
      kind: 'StatefulSet',
      replicas: 1,
      template: redisTemplate(missing, 1),
    });
    await expect(
      supervisor.waitAllReady(30_000, { failFast: true }),
    ).rejects.toThrow(
      new PodStartError(
        `pod redis-0 cannot start: ${missing} not found (spawn ENOENT)`,
      ),
    );
    expect(supervisor.listPods()).toMatchObject([
      { name: 'redis-0', pid: null, ready: false },
    ]);
  });

  it('without failFast (a running stack), the pod keeps being restarted, as the kubelet does', async () => {
    await supervisor.apply({
      kind: 'StatefulSet',
      replicas: 1,
      template: redisTemplate(join(logDirectory, 'none'), 1),
    });
    await expect(supervisor.waitAllReady(1500)).rejects.toThrow(
      'pods not ready after 1500 ms: redis-0',
    );
    expect(supervisor.listPods()[0].restarts).toBeGreaterThan(1);
  });
});

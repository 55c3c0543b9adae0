import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../tools/lab/free-port';
import type { PodInfo } from '../../tools/lab/pod';
import { isAlive } from '../support/processes';

const ROOT = join(__dirname, '..', '..');
const execFileAsync = promisify(execFile);

async function refusesConnections(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/`).then(
    () => false,
    () => true,
  );
}

/** `npm start`'s process, as a user runs it: the CLI against it, then Ctrl-C. */
describe('npm start: the local stack as real processes', () => {
  it('serves through the gateway, answers the lab CLI, and Ctrl-C leaves no process or port behind', async () => {
    const labPort = await freePort();
    const environment = {
      ...process.env,
      LAB_PORT: String(labPort),
      LAB_REPLICAS_AUTH: '1',
      LAB_REPLICAS_ORDER: '2',
      LAB_REPLICAS_CART: '1',
      LAB_REPLICAS_CART_LEGACY: '1',
    };
    const stack = spawn(
      process.execPath,
      ['--import', 'tsx', 'tools/lab/main.ts'],
      {
        cwd: ROOT,
        env: environment,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    stack.stdout.on('data', (chunk) => (output += chunk));
    stack.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) =>
      stack.once('exit', resolve),
    );
    try {
      const deadline = Date.now() + 60_000;
      while (
        !output.includes('Ctrl-C stops everything') &&
        Date.now() < deadline
      ) {
        if (stack.exitCode !== null)
          throw new Error(`npm start exited:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(output).toMatch(/all pods ready in/);
      expect(output).toContain(`http://127.0.0.1:${labPort}`);
      expect(output).toMatch(/alice:alice/);
      expect(output).toMatch(/npm run experiment/);
      expect(output).toContain(`http://127.0.0.1:${labPort}/_lab/ui`);
      const dashboard = await fetch(`http://127.0.0.1:${labPort}/_lab/ui`);
      expect(dashboard.status).toBe(200);
      expect(dashboard.headers.get('content-type')).toMatch(/^text\/html/);

      const pods = (await (
        await fetch(`http://127.0.0.1:${labPort}/_lab/pods`)
      ).json()) as PodInfo[];
      expect(pods.map((pod) => pod.app).sort()).toEqual(
        ['auth', 'cart', 'cart-legacy', 'order', 'order', 'redis'].sort(),
      );
      for (const pod of pods.filter((candidate) => candidate.app !== 'redis')) {
        // `name` is exactly the pod's x-pod-name; `pid` is the server process itself.
        const health = await fetch(`http://127.0.0.1:${pod.port}/healthz/live`);
        expect(health.headers.get('x-pod-name')).toBe(pod.name);
        expect(pod.name).toMatch(
          new RegExp(`^${pod.app}-[a-z0-9]{5}-[a-z0-9]{5}$`),
        );
      }
      const menu = await fetch(`http://127.0.0.1:${labPort}/menu`);
      expect(menu.status).toBe(200);

      const cli = (...args: string[]) =>
        execFileAsync(
          process.execPath,
          ['--import', 'tsx', 'tools/lab/cli.ts', ...args],
          {
            cwd: ROOT,
            env: environment,
          },
        );
      const listing = await cli('get', 'pods', '-l', 'app=order');
      expect(listing.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS/);
      const orderPods = pods.filter((pod) => pod.app === 'order');
      for (const pod of orderPods) expect(listing.stdout).toContain(pod.name);
      const deletion = await cli(
        'delete',
        'pod',
        orderPods[0].name,
        '--grace-period=0',
      );
      expect(deletion.stdout).toContain(`pod "${orderPods[0].name}" deleted`);
      const afterDelete = (await (
        await fetch(`http://127.0.0.1:${labPort}/_lab/pods?app=order`)
      ).json()) as PodInfo[];
      expect(afterDelete.map((pod) => pod.name)).not.toContain(
        orderPods[0].name,
      );
      await expect(cli('delete', 'pod', 'no-such-pod')).rejects.toMatchObject({
        stderr: expect.stringContaining('pod "no-such-pod" not found'),
      });

      const everyPid = [
        stack.pid as number,
        ...afterDelete.map((pod) => pod.pid as number),
        ...pods.map((pod) => pod.pid as number),
      ];
      const everyPort = [
        labPort,
        ...pods.map((pod) => pod.port),
        ...afterDelete.map((pod) => pod.port),
      ];
      stack.kill('SIGINT');
      expect(await exited).toBe(0);
      for (const pid of everyPid)
        expect({ pid, alive: isAlive(pid) }).toEqual({ pid, alive: false });
      for (const port of everyPort) {
        expect({ port, refused: await refusesConnections(port) }).toEqual({
          port,
          refused: true,
        });
      }
    } finally {
      if (stack.exitCode === null) stack.kill('SIGKILL');
    }
  }, 120_000);
});

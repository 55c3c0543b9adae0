import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../tools/lab/free-port';
import type { PodInfo } from '../../tools/lab/pod';
import { redisCommand, redisInfo } from '../../tools/lab/redis-command';

const ROOT = join(__dirname, '..', '..');
const execFileAsync = promisify(execFile);

/** `LAB_REDIS=sentinel npm start`: Redis as a primary, two replicas and three Sentinels. */
describe('npm start with LAB_REDIS=sentinel', () => {
  it('runs redis-0..2 and sentinel-0..2, refuses writes without a replica, and the apps follow a failover', async () => {
    const labPort = await freePort();
    const environment = {
      ...process.env,
      LAB_PORT: String(labPort),
      LAB_REDIS: 'sentinel',
      LAB_REPLICAS_AUTH: '1',
      LAB_REPLICAS_ORDER: '1',
      LAB_REPLICAS_CART: '1',
      LAB_REPLICAS_CART_LEGACY: '1',
    };
    const stack = spawn(
      process.execPath,
      ['--import', 'tsx', 'tools/lab/main.ts'],
      { cwd: ROOT, env: environment, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    stack.stdout.on('data', (chunk) => (output += chunk));
    stack.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise((resolve) => stack.once('exit', resolve));
    try {
      const deadline = Date.now() + 60_000;
      while (!output.includes('Ctrl-C stops everything')) {
        if (stack.exitCode !== null || Date.now() > deadline)
          throw new Error(`npm start did not come up:\n${output}`);
        await sleep(100);
      }
      const { stdout } = await execFileAsync(
        process.execPath,
        ['--import', 'tsx', 'tools/lab/cli.ts', 'get', 'pods'],
        { cwd: ROOT, env: environment },
      );
      for (const name of [
        'redis-0',
        'redis-1',
        'redis-2',
        'sentinel-0',
        'sentinel-1',
        'sentinel-2',
      ])
        expect(stdout).toMatch(new RegExp(`^${name}\\s+1/1\\s+Running`, 'm'));

      const pods = (await (
        await fetch(`http://127.0.0.1:${labPort}/_lab/pods`)
      ).json()) as PodInfo[];
      const redis = pods.filter((pod) => pod.app === 'redis');
      const primary = redis.find((pod) => pod.name === 'redis-0') as PodInfo;
      expect((await redisInfo(primary.port)).connected_slaves).toBe('2');
      // Every node (any may be promoted) refuses writes with no replica connected.
      for (const pod of redis)
        expect(
          await redisCommand(pod.port, [
            'CONFIG',
            'GET',
            'min-replicas-to-write',
          ]),
        ).toEqual(['min-replicas-to-write', '1']);

      const base = `http://127.0.0.1:${labPort}`;
      const login = await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'alice' }),
      });
      const bearer = `Bearer ${((await login.json()) as { access_token: string }).access_token}`;
      const placeOrder = () =>
        fetch(`${base}/orders`, {
          method: 'POST',
          headers: {
            authorization: bearer,
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            items: [{ sku: 'americano', qty: 1 }],
            payment: 'card',
          }),
        });
      expect((await placeOrder()).status).toBe(201);

      process.kill(primary.pid as number, 'SIGKILL');
      const killedAt = performance.now();
      let status = 0;
      while (status !== 201 && performance.now() - killedAt < 20_000) {
        status = (await placeOrder()).status;
        if (status !== 201) await sleep(100);
      }
      expect(status).toBe(201);
      process.stdout.write(
        `lab sentinel failover: orders 201 again ${Math.round(performance.now() - killedAt)} ms after the primary's SIGKILL\n`,
      );
      // The old primary is held down, then rejoins as a replica of the new one.
      const rejoinBy = performance.now() + 20_000;
      let role = '';
      while (role !== 'slave' && performance.now() < rejoinBy) {
        role = await redisInfo(primary.port)
          .then((info) => `${info.role}${info.master_link_status ?? ''}`)
          .then((value) => (value === 'slaveup' ? 'slave' : value))
          .catch(() => '');
        await sleep(200);
      }
      expect(role).toBe('slave');
    } finally {
      stack.kill('SIGINT');
      await exited;
    }
  });
});

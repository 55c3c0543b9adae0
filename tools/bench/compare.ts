/**
 * `npm run bench:compare -- <commit> <commit> ...`: the order pod of several commits, side by
 * side in one run — how each optimization in tools/bench/README.md was measured.
 *
 * Each commit's order app is built in a temporary git worktree (its own `npm run build`, the
 * repository's node_modules) and started as a pod of its own against one shared Redis and auth;
 * then rounds go round-robin (bare Nest, then every build's GET /menu and GET /orders with a
 * JWT) so that a machine slowing down for a while slows every build alike. For each build and
 * route: the median over rounds of req/s ÷ bare Nest's req/s in the same cycle, and the CPU the
 * pod spent per request (/proc, user + system), which moves less than req/s on a shared machine.
 *
 *   npm run bench:compare -- e7a1377 HEAD            # 8 cycles of 2 s rounds
 *   npm run bench:compare -- --cycles 12 HEAD~1 HEAD
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../build/ensure-built';
import { preflight } from '../preflight/preflight';
import { measure, type LoadTarget } from './measure';
import { startOrderPod } from './order-pod';
import { cpuMilliseconds, OwnProcesses } from './processes';
import { startBaseline } from './servers';
import { BenchStack, READER } from './stack';
import { median } from './statistics';

interface Contender extends LoadTarget {
  label: string;
  pid: number;
}

/** The commit's order bundle, built in a worktree of its own; the copy outlives the worktree. */
function buildOrderBundle(commit: string, directory: string): string {
  const sha = execFileSync('git', ['rev-parse', '--short', commit], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
  const tree = join(directory, `tree-${sha}`);
  execFileSync('git', ['worktree', 'add', '--detach', tree, sha], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
    execFileSync('npm', ['run', 'build'], { cwd: tree, stdio: 'ignore' });
    const bundle = join(directory, `order-${sha}.cjs`);
    copyFileSync(join(tree, 'dist', 'apps', 'order', 'main.cjs'), bundle);
    return bundle;
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', tree], {
      cwd: ROOT,
      stdio: 'ignore',
    });
  }
}

async function main(): Promise<void> {
  const { values, positionals: commits } = parseArgs({
    allowPositionals: true,
    options: {
      cycles: { type: 'string', default: '8' },
      seconds: { type: 'string', default: '2' },
    },
  });
  if (commits.length === 0)
    throw new Error(
      'name at least one commit, e.g. npm run bench:compare -- HEAD~1 HEAD',
    );
  preflight('npm run bench:compare', ['redis-server']);
  const cycles = Number(values.cycles);
  const roundSeconds = Number(values.seconds);
  const directory = mkdtempSync(join(tmpdir(), 'what-survives-compare-'));
  const processes = new OwnProcesses();
  process.once('SIGINT', () => {
    processes.killAllNow();
    process.exit(130);
  });
  try {
    const bundles = commits.map((commit) => {
      console.log(`building order at ${commit} …`);
      return { commit, bundle: buildOrderBundle(commit, directory) };
    });
    const [stack, nest] = await Promise.all([
      BenchStack.start(processes),
      startBaseline('nest', processes),
    ]);
    try {
      const authUrl = await stack.podUrl('auth');
      const login = await fetch(`${authUrl}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(READER),
      });
      const { access_token: token } = (await login.json()) as {
        access_token: string;
      };
      const contenders: Contender[] = [
        { label: 'hello, bare Nest', url: nest.url, pid: nest.pid },
      ];
      for (const [index, { commit, bundle }] of bundles.entries()) {
        const pod = await startOrderPod(
          bundle,
          `order-${index}`,
          stack,
          processes,
          directory,
        );
        contenders.push(
          {
            label: `${commit} GET /menu`,
            url: `${pod.url}/menu`,
            pid: pod.pid,
          },
          {
            label: `${commit} GET /orders (JWT)`,
            url: `${pod.url}/orders`,
            headers: { authorization: `Bearer ${token}` },
            pid: pod.pid,
          },
        );
      }
      const warmUp = {
        rounds: 1,
        roundSeconds: 1,
        warmupSeconds: 2,
        connections: 16,
      };
      for (const contender of contenders) await measure(contender, warmUp);

      const rates = contenders.map(() => [] as number[]);
      const cpuPerRequest = contenders.map(() => [] as number[]);
      for (let cycle = 0; cycle < cycles; cycle++) {
        for (const [index, contender] of contenders.entries()) {
          const before = cpuMilliseconds(contender.pid);
          const result = await measure(contender, {
            rounds: 1,
            roundSeconds,
            warmupSeconds: 0,
            connections: 16,
          });
          const { requests, non2xx, socketErrors } = result.rounds[0];
          if (non2xx + socketErrors > 0)
            throw new Error(
              `${contender.label}: ${non2xx + socketErrors} errors`,
            );
          rates[index].push(result.requestsPerSecond.median);
          cpuPerRequest[index].push(
            ((cpuMilliseconds(contender.pid) - before) * 1000) / requests,
          );
        }
        console.log(`cycle ${cycle + 1}/${cycles} done`);
      }
      console.log(
        `\n${'row'.padEnd(40)} ${'req/s'.padStart(7)}  × bare Nest (min–max)   CPU µs/req  CPU × bare Nest`,
      );
      for (const [index, contender] of contenders.entries()) {
        const ratios = rates[index].map(
          (rate, cycle) => rate / rates[0][cycle],
        );
        const cpuRatios = cpuPerRequest[index].map(
          (cpu, cycle) => cpuPerRequest[0][cycle] / cpu,
        );
        console.log(
          `${contender.label.padEnd(40)} ${median(rates[index]).toFixed(0).padStart(7)}  ${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`.padEnd(
            75,
          ) +
            `${median(cpuPerRequest[index]).toFixed(0).padStart(6)}  ${median(cpuRatios).toFixed(2)}×`,
        );
      }
      console.log(
        `\n${cycles} cycles of ${roundSeconds} s rounds, 16 connections; ratios are per cycle, then the median. Pod logs: ${directory}`,
      );
    } finally {
      await stack.stop();
    }
  } finally {
    await processes.stopAll();
  }
}

main().catch((error: Error) => {
  console.error(`bench:compare: ${error.message}`);
  process.exitCode = 1;
});

/**
 * `npm run test:cluster`: the story on a real Kubernetes cluster (tools/cluster), after
 * `npm test` in .ci/run. Brings the cluster up (building what the cache lacks), runs each stage
 * as a Jest run of its own against it, in order, then brings it down and checks that the
 * machine is as it was before. Exit code 1 when any stage, `up` or `down` fails.
 *   CLUSTER_KEEP=1        leave the cluster running afterwards (npm run cluster -- status)
 *   npm run test:cluster -- deployment experiment    only these stages (by name)
 */
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { ROOT } from '../build/ensure-built';
import { DEV_AUTH_USERS } from '../secrets/generate-dev-secrets';
import { preflight } from '../preflight/preflight';
import { CLUSTER_PROGRAMS } from '../preflight/programs';
import { down, ensurePrograms, up } from './cluster';
import { ensureGoComponent, recipeOf } from './go-build';
import { hostLeftovers, KUBELET_SYSCTLS } from './host';
import { ENTRY_POINT_URL, PATHS } from './layout';
import { readFileSync } from 'node:fs';

/** In order: each later stage may kill what an earlier one checked. */
export const STAGES = [
  [
    'deployment',
    'test/cluster/deployment.e2e-spec.ts',
    'what was applied, as the API server sees it',
  ],
  [
    'experiment',
    'test/cluster/experiment.e2e-spec.ts',
    'npm run experiment -- --target k8s --quick',
  ],
  [
    'survival',
    'test/e2e/survival.e2e-spec.ts',
    'the survival suite with E2E_TARGET=k8s',
  ],
  [
    'kubectl',
    'test/cluster/kubectl-delete.e2e-spec.ts',
    'kubectl delete pod, as docs/kubernetes.md tells users',
  ],
  [
    'dashboard',
    'test/cluster/dashboard.e2e-spec.ts',
    'npm run dashboard -- --target k8s, in Chromium',
  ],
  [
    'broken',
    'test/cluster/broken-manifests.e2e-spec.ts',
    'broken manifests are named with their fault',
  ],
  [
    'skaffold',
    'test/cluster/skaffold.e2e-spec.ts',
    'skaffold run, then one skaffold dev cycle',
  ],
] as const;

const log = (line: string) =>
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error(
      'npm run test:cluster needs root: the node is a network and a mount namespace',
    );
    return 2;
  }
  preflight('npm run test:cluster', [
    ...CLUSTER_PROGRAMS,
    'chromium',
    'kubectl',
  ]);
  const only = process.argv.slice(2);
  const unknown = only.filter(
    (name) => !STAGES.some(([stage]) => stage === name),
  );
  if (unknown.length) {
    console.error(
      `unknown stage ${unknown.join(', ')} (stages: ${STAGES.map(([name]) => name).join(', ')})`,
    );
    return 2;
  }
  const stages = STAGES.filter(([name]) => !only.length || only.includes(name));
  const sysctlsBefore = Object.fromEntries(
    KUBELET_SYSCTLS.map((name) => [
      name,
      readFileSync(`/proc/sys/${name}`, 'utf8').trim(),
    ]),
  );
  const timings: Array<[string, number, boolean]> = [];
  let failed = false;
  const started = performance.now();
  try {
    const result = await up(log);
    timings.push(['cluster up', result.seconds.total * 1000, true]);
    log(
      `cluster up in ${result.seconds.total.toFixed(0)} s (building ${result.seconds.programs.toFixed(0)} s)`,
    );
    const programs = await ensurePrograms(() => undefined);
    const skaffold = stages.some(([name]) => name === 'skaffold')
      ? await ensureGoComponent(recipeOf('skaffold'), log)
      : undefined;
    // The cluster's own kubectl (and skaffold) first on the PATH: what the specs and docs call.
    const path = [
      programs.kubernetes.directory,
      skaffold?.directory,
      process.env.PATH,
    ]
      .filter(Boolean)
      .join(delimiter);
    for (const [name, spec, what] of stages) {
      log(`stage ${name}: ${what}`);
      const stageStarted = performance.now();
      const jest = spawnSync(
        process.execPath,
        [
          join(ROOT, 'node_modules/jest/bin/jest.js'),
          '-c',
          join(ROOT, 'jest.cluster.config.js'),
          '--runTestsByPath',
          spec,
        ],
        {
          cwd: ROOT,
          stdio: 'inherit',
          env: {
            ...process.env,
            PATH: path,
            KUBECONFIG: PATHS.adminKubeconfig,
            E2E_TARGET: 'k8s',
            E2E_URL: ENTRY_POINT_URL,
            E2E_USERS: DEV_AUTH_USERS,
          },
        },
      );
      const ok = jest.status === 0;
      failed ||= !ok;
      timings.push([`stage ${name}`, performance.now() - stageStarted, ok]);
      log(
        `stage ${name}: ${ok ? 'passed' : 'FAILED'} in ${seconds(performance.now() - stageStarted)}`,
      );
    }
  } catch (error) {
    failed = true;
    console.error(`\ntest:cluster: ${(error as Error).message}`);
  } finally {
    if (process.env.CLUSTER_KEEP === '1') {
      log(
        'CLUSTER_KEEP=1: the cluster stays up (npm run cluster -- down stops it)',
      );
    } else {
      const downStarted = performance.now();
      const left = [...(await down(log)), ...hostLeftovers()];
      for (const [name, value] of Object.entries(sysctlsBefore)) {
        const now = readFileSync(`/proc/sys/${name}`, 'utf8').trim();
        if (now !== value)
          left.push(
            `${name.replaceAll('/', '.')} is ${now}, was ${value} before up`,
          );
      }
      const clean = left.length === 0;
      failed ||= !clean;
      timings.push(['cluster down', performance.now() - downStarted, clean]);
      if (!clean)
        console.error(
          `down left the machine changed:\n${left.map((item) => `  - ${item}`).join('\n')}`,
        );
    }
  }
  console.log('\ntest:cluster');
  for (const [name, ms, ok] of timings)
    console.log(`  ${ok ? 'ok  ' : 'FAIL'}  ${name.padEnd(22)} ${seconds(ms)}`);
  console.log(
    `  ${failed ? 'FAILED' : 'passed'} in ${seconds(performance.now() - started)}`,
  );
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`test:cluster: ${error.message}`);
    process.exit(1);
  },
);

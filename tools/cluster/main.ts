/**
 * `npm run cluster -- up | down | status | build`: a real one-node Kubernetes cluster on this
 * machine, from upstream programs built here (tools/cluster/components.json pins them), with
 * k8s/overlays/dev applied as users apply it. Needs root (network and mount namespaces).
 *   build    build (or find in the cache) every program; nothing is started
 *   up       build if needed, start the node, import the images, apply the addons and the overlay
 *   down     stop everything `up` started and put the machine back as it was
 *   status   what runs, and where to reach it
 * Environment: CLUSTER_DIR (/var/lib/what-survives/cluster), CLUSTER_CACHE (/var/cache/what-survives).
 */
import { down, ensurePrograms, kubectlOf, status, up } from './cluster';
import { ensureGoComponent, recipeOf } from './go-build';
import { ENTRY_POINT_URL, PATHS } from './layout';
import { isRunning } from './node-processes';
import { preflight } from '../preflight/preflight';
import { CLUSTER_PROGRAMS } from '../preflight/programs';

const log = (line: string) =>
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(command: string | undefined): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error(
      'npm run cluster needs root: it makes a network and a mount namespace for the node',
    );
    return 2;
  }
  if (command === 'build' || command === 'up')
    preflight(`npm run cluster -- ${command}`, CLUSTER_PROGRAMS);
  switch (command) {
    case 'build': {
      const programs = await ensurePrograms(log);
      // skaffold too: only the skaffold stage of test:cluster runs it, `up` does not need it.
      const skaffold = await ensureGoComponent(recipeOf('skaffold'), log);
      for (const built of [...Object.values(programs), skaffold])
        if (typeof built === 'object')
          log(
            `${built.component} ${built.version}: ${built.directory}${built.cached ? ' (cached)' : ''}`,
          );
      return 0;
    }
    case 'up': {
      const result = await up(log);
      const programs = await ensurePrograms(() => undefined);
      console.log(
        `\n${await kubectlOf(programs).run(['get', 'pods', '-A', '-o', 'wide'])}`,
      );
      console.log(
        `cluster up in ${result.seconds.total.toFixed(0)} s (programs ${result.seconds.programs.toFixed(0)} s, node to every pod ready ${result.seconds.node.toFixed(0)} s)`,
      );
      console.log(`entry point   ${result.entryPoint}`);
      console.log(
        `kubectl       export KUBECONFIG=${result.kubeconfig} PATH=${programs.kubernetes.directory}:$PATH`,
      );
      console.log(`stop          npm run cluster -- down`);
      return 0;
    }
    case 'down': {
      const left = await down(log);
      if (left.length) {
        console.error(
          `down left these behind:\n${left.map((item) => `  - ${item}`).join('\n')}`,
        );
        return 1;
      }
      log('cluster down; the machine is as it was before up');
      return 0;
    }
    case 'status': {
      const current = status();
      for (const process_ of current.processes)
        console.log(
          `${process_.name.padEnd(24)} ${process_.running ? `running (pid ${process_.pid})` : 'not running'}`,
        );
      if (isRunning()) {
        const programs = await ensurePrograms(() => undefined);
        console.log(
          `\n${await kubectlOf(programs).run(['get', 'pods', '-A'])}`,
        );
        console.log(
          `entry point ${ENTRY_POINT_URL} · KUBECONFIG=${PATHS.adminKubeconfig}`,
        );
      } else if (current.nodePresent || current.hostState) {
        console.log(
          '\nthe cluster is partly there: npm run cluster -- down cleans it up',
        );
      } else {
        console.log('\nno cluster (npm run cluster -- up)');
      }
      return 0;
    }
    default:
      console.error('usage: npm run cluster -- up | down | status | build');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`cluster: ${error.message}`);
    process.exit(1);
  },
);

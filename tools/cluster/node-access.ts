import { ensureGoComponent, recipeOf } from './go-build';
import { NODE, PATHS } from './layout';
import { isRunning } from './node-processes';
import { inNode, shAsync } from './shell';

/**
 * What only the owner of a node can do: kill a container's process from the outside, as a crash
 * or the kernel's OOM killer would. The kubelet then restarts the container in place (same pod,
 * restarts + 1): the `crash` the local stack's supervisor plays, for real. Available when this
 * machine runs the tools/cluster node.
 */
export type ContainerProcessKiller = (
  namespace: string,
  pod: string,
) => Promise<void>;

export async function localNodeProcessKiller(
  apiServer: string,
): Promise<ContainerProcessKiller | undefined> {
  // Only for this machine's own cluster: never reach into a node for another cluster's pods.
  if (apiServer !== `https://${NODE.address}:${NODE.apiPort}` || !isRunning())
    return undefined;
  const crictl = (
    await ensureGoComponent(recipeOf('criTools'), () => undefined)
  ).binaries.crictl;
  const run = async (args: string[]) =>
    (
      await shAsync(
        ...inNode(crictl, [
          '--runtime-endpoint',
          `unix://${PATHS.containerdSocket}`,
          ...args,
        ]),
      )
    ).trim();
  const lines = (text: string) => text.split('\n').filter(Boolean);
  return async (namespace, pod) => {
    const sandboxes = lines(
      await run([
        'pods',
        '--namespace',
        namespace,
        '--name',
        `^${pod}$`,
        '--state',
        'ready',
        '-q',
      ]),
    );
    if (sandboxes.length !== 1)
      throw new Error(
        `pod ${namespace}/${pod}: ${sandboxes.length} running sandboxes on the node`,
      );
    const containers = lines(
      await run(['ps', '--pod', sandboxes[0], '--state', 'running', '-q']),
    );
    if (!containers.length)
      throw new Error(`pod ${namespace}/${pod}: no running container`);
    for (const container of containers) {
      const pid = (
        JSON.parse(await run(['inspect', container])) as {
          info?: { pid?: number };
        }
      ).info?.pid;
      if (!pid)
        throw new Error(
          `pod ${namespace}/${pod}: crictl inspect gave no pid for ${container}`,
        );
      // The node shares the host's pid namespace: this is the container's PID 1 itself.
      process.kill(pid, 'SIGKILL');
    }
  };
}

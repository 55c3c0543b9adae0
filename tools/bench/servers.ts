import { join } from 'node:path';
import { ROOT } from '../build/ensure-built';
import { freePort } from '../lab/free-port';
import { waitForHttp, type OwnProcesses } from './processes';

export type BaselineName = 'node-http' | 'nest';

export interface RunningServer {
  name: string;
  url: string;
  pid: number;
}

const PATHS: Record<BaselineName, string> = {
  'node-http': '/',
  nest: '/hello',
};

/**
 * A baseline server in a child process of its own: in the bench's process it would share the
 * event loop (and the core) with the load generator, and no app under test does that.
 */
export async function startBaseline(
  name: BaselineName,
  processes: OwnProcesses,
): Promise<RunningServer> {
  const port = await freePort();
  const started = performance.now();
  const child = processes.spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'baselines', `${name}.ts`)],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PORT: String(port),
      },
      // An IPC channel only so that the server exits when the bench does, however it ends.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  await waitForHttp(port, PATHS[name], started, 30_000, child);
  return {
    name,
    url: `http://127.0.0.1:${port}${PATHS[name]}`,
    pid: child.pid as number,
  };
}

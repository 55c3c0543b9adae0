import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeIsPresent } from './host';
import { PATHS } from './layout';
import { inNode } from './shell';

/** The node's programs in start order (the control plane runs on the node, as kubeadm's does). */
export const NODE_PROCESSES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'containerd',
  'kubelet',
  'kube-proxy',
] as const;

/** A cluster program started by `up`: what `down` may stop, and nothing else. */
export interface NodeProcess {
  name: string;
  pid: number;
  binary: string;
  log: string;
  startedAt: string;
}

const pidFile = (name: string) => join(PATHS.pids, `${name}.json`);
export const logFileOf = (name: string) => join(PATHS.logs, `${name}.log`);

/** True when `pid` is still the program we started (not a later process that reused the pid). */
function isOurs(process_: NodeProcess): boolean {
  try {
    const argv = readFileSync(`/proc/${process_.pid}/cmdline`, 'utf8').split(
      '\0',
    );
    return argv[0] === process_.binary;
  } catch {
    return false;
  }
}

export function recordedProcess(name: string): NodeProcess | undefined {
  if (!existsSync(pidFile(name))) return undefined;
  return JSON.parse(readFileSync(pidFile(name), 'utf8')) as NodeProcess;
}

export function runningProcess(name: string): NodeProcess | undefined {
  const recorded = recordedProcess(name);
  return recorded && isOurs(recorded) ? recorded : undefined;
}

export function recordedProcesses(): NodeProcess[] {
  if (!existsSync(PATHS.pids)) return [];
  return readdirSync(PATHS.pids)
    .filter((file) => file.endsWith('.json'))
    .map(
      (file) =>
        JSON.parse(readFileSync(join(PATHS.pids, file), 'utf8')) as NodeProcess,
    );
}

/**
 * Starts a program inside the node, detached from this process (the cluster outlives `up`),
 * its output appended to logs/<name>.log. Already running: left alone.
 */
export async function startNodeProcess(
  name: string,
  binary: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<NodeProcess> {
  const running = runningProcess(name);
  if (running) return running;
  mkdirSync(PATHS.pids, { recursive: true });
  mkdirSync(PATHS.logs, { recursive: true });
  const log = logFileOf(name);
  const output = openSync(log, 'a');
  const [command, commandArgs] = inNode(binary, args);
  const child = spawn(command, commandArgs, {
    detached: true,
    stdio: ['ignore', output, output],
    env: options.env ?? process.env,
  });
  closeSync(output);
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new Error(`${name}: cannot start ${binary}: ${error.message}`)),
    );
    child.once('spawn', () => resolve(child.pid as number));
  });
  child.unref();
  const started: NodeProcess = {
    name,
    pid,
    binary,
    log,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(pidFile(name), `${JSON.stringify(started, null, 2)}\n`);
  // nsenter execs the program: give it a moment, then make sure it did not die at once.
  for (let waited = 0; waited < 1000; waited += 100) {
    await sleep(100);
    if (isOurs(started)) return started;
    if (!existsSync(`/proc/${pid}`)) break;
  }
  if (!isOurs(started)) {
    const tail = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .slice(-5)
      .join('\n  ');
    throw new Error(`${name} exited at once; the end of ${log}:\n  ${tail}`);
  }
  return started;
}

/** SIGTERM, then SIGKILL after `graceMs`; only ever the pid `up` recorded, and only if still ours. */
export async function stopNodeProcess(
  name: string,
  graceMs = 10_000,
): Promise<boolean> {
  const recorded = recordedProcess(name);
  if (!recorded) return false;
  let stopped = false;
  if (isOurs(recorded)) {
    process.kill(recorded.pid, 'SIGTERM');
    for (let waited = 0; waited < graceMs && isOurs(recorded); waited += 100)
      await sleep(100);
    if (isOurs(recorded)) process.kill(recorded.pid, 'SIGKILL');
    for (let waited = 0; waited < 5000 && isOurs(recorded); waited += 100)
      await sleep(100);
    stopped = true;
  }
  rmSync(pidFile(name), { force: true });
  return stopped;
}

/** The last lines a program wrote: what a failure message quotes. */
export function logTail(name: string, lines = 8): string {
  const log = logFileOf(name);
  if (!existsSync(log)) return '(no log)';
  return readFileSync(log, 'utf8').trim().split('\n').slice(-lines).join('\n');
}

/** The node is there and every one of its programs runs. */
export function isRunning(): boolean {
  return (
    nodeIsPresent() && NODE_PROCESSES.every((name) => runningProcess(name))
  );
}

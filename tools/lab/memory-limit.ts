import { readFileSync } from 'node:fs';
import type { Pod } from './pod';

/** The resident set of a process, from /proc/<pid>/status (VmRSS, in kB); undefined if gone. */
export function readRssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The kubelet's memory limit, on the local stack: every pod with `resources.limits.memory` has
 * its process's RSS sampled; over the limit, the process is SIGKILLed, as the kernel's cgroup
 * OOM killer does, and the pod restarts in place with `OOMKilled` as its last state. A sample
 * every `intervalMs` is coarser than the kernel (which stops the allocation that crosses the
 * line): a fast-growing process may overshoot by what it allocates in one interval.
 */
export class OomWatcher {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pods: () => Pod[],
    intervalMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** One round: reads each limited pod's RSS; kills the ones over their limit. */
  sample(): void {
    for (const pod of this.pods()) {
      const limit = pod.template.memoryLimitBytes;
      if (limit === undefined || pod.status !== 'Running' || !pod.isRunning)
        continue;
      const rss = readRssBytes(pod.pid as number);
      if (rss === undefined) continue;
      pod.memoryBytes = rss;
      if (rss > limit) pod.oomKill();
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

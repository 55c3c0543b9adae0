/**
 * Why a pod did not come up, in one line: the process could not be spawned, or it exited before
 * it was ever ready (a port taken, a bad binary, a bad setting); the cause read from its log.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** `spawn redis-server ENOENT` → `cannot start: redis-server not found (spawn ENOENT)`. */
export function spawnFailure(file: string, error: NodeJS.ErrnoException) {
  const why: Record<string, string> = {
    ENOENT: `${file} not found`,
    EACCES: `${file} is not executable`,
  };
  return `cannot start: ${why[error.code ?? ''] ?? error.message} (spawn ${error.code ?? 'failed'})`;
}

/** What a program says when it cannot start, most telling first. */
const TELLING = [
  /EADDRINUSE|address already in use/i,
  /error|cannot|can't|could not|failed|fatal|denied|invalid|not found|unknown|abort/i,
];
/**
 * Lines that say nothing about the cause: indented ones (stack frames, the source excerpt, the
 * error's properties), carets, braces, Node's version and location lines, the lab's own.
 */
const NOISE = /^(\s.*|\^+|[{}[\]]|Node\.js v\S+|node:[\w/]+:\d+|\[lab\].*|)$/;
/** redis-server's `12345:M 01 Dec 2026 22:37:04.623 # ` prefix. */
const REDIS_PREFIX = /^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ [#*.-] /;

function readable(line: string): string {
  const text = line.trim().replace(REDIS_PREFIX, '');
  try {
    // A JSON log line (pino): its message, and its error's.
    const entry = JSON.parse(text) as {
      msg?: string;
      err?: { message?: string };
    };
    return [entry.msg, entry.err?.message].filter(Boolean).join(': ') || text;
  } catch {
    return text;
  }
}

/** The one line of a pod's log that best says why it died; undefined when it said nothing. */
export function causeFromLog(log: string): string | undefined {
  const lines = log.split('\n').filter((line) => !NOISE.test(line));
  for (const pattern of TELLING) {
    const line = lines.findLast((candidate) => pattern.test(candidate));
    if (line) return readable(line).slice(0, 300);
  }
  const last = lines.at(-1);
  return last === undefined ? undefined : readable(last).slice(0, 300);
}

/** The end of a log file from `offset` on (what one start of the pod wrote), at most 16 kB. */
export function logSince(file: string, offset: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const start = Math.max(offset, size - 16 * 1024);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    readSync(fd, buffer, 0, buffer.length, start);
    return buffer.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

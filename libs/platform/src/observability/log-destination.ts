import { pino, type DestinationStream } from 'pino';

/**
 * A turn's lines, written together once they pass this many bytes (sonic-boom's `minLength`,
 * below its 16 KiB `maxWrite`): a burst never waits for the end of the turn.
 */
const FLUSH_AT_BYTES = 8 * 1024;

export interface TurnBufferedDestination extends DestinationStream {
  /** Writes whatever is held, now (synchronously). */
  flushSync(): void;
}

/**
 * Where an app's JSON lines go: `fd` (stdout), written synchronously as pino's default
 * destination does, but once per event-loop turn instead of once per line. Under load a turn
 * completes several requests, and one `write(2)` per access line was ~10% of the order pod's
 * CPU profile (tools/bench/README.md); the lines of a turn now share one.
 *
 * What this costs: a line stays in the process for the rest of the turn it was logged in (the
 * flush is a `setImmediate`, the same turn's check phase) or until 8 KiB are held. A normal exit
 * (`process.exit`, the graceful shutdown, an uncaught exception) writes them on `exit`; a
 * SIGKILL (or an OOM kill, or V8 aborting on a full heap) in that window loses them: the lines of
 * the requests completed in that one turn, never anything logged in an earlier turn.
 * Synchronous, not pino's `sync: false`: an asynchronous write in flight at `exit` is dropped by
 * sonic-boom's flushSync, and the graceful shutdown's last line would be lost with it.
 */
export function turnBufferedDestination(fd: number): TurnBufferedDestination {
  const boom = pino.destination({
    dest: fd,
    sync: true,
    minLength: FLUSH_AT_BYTES,
  });
  let scheduled = false;
  const flushSync = () => {
    scheduled = false;
    boom.flushSync();
  };
  process.once('exit', flushSync);
  return {
    write(line: string) {
      boom.write(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushSync);
      }
      return true;
    },
    flushSync,
  };
}

let stdout: TurnBufferedDestination | undefined;

/** The process's one stdout destination: every logger of the process shares it (and its order). */
export function stdoutDestination(): TurnBufferedDestination {
  stdout ??= turnBufferedDestination(1);
  return stdout;
}

/**
 * Settles with `onTimeout()` if `operation` has not settled within `ms`. node-redis command
 * timeouts only cover commands not yet written to the socket: a Redis that hangs with the
 * connection open (SIGSTOP, a stuck VM) would keep a written command pending forever. The late
 * reply, if any, is ignored; the connection stays in sync because nothing was cancelled.
 */
export function withDeadline<T>(
  operation: Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([operation, deadline]).finally(() => clearTimeout(timer));
}

import { createClient } from 'redis';

/** One command to a Redis node or Sentinel on 127.0.0.1, on a short-lived connection. */
export async function redisCommand(
  port: number,
  args: string[],
  timeoutMs = 1000,
): Promise<unknown> {
  const client = createClient({
    socket: {
      host: '127.0.0.1',
      port,
      connectTimeout: timeoutMs,
      reconnectStrategy: false,
    },
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.sendCommand(args);
  } finally {
    client.destroy();
  }
}

/** `INFO replication` (or any `key:value` INFO section) as a record. */
export async function redisInfo(
  port: number,
  section = 'replication',
): Promise<Record<string, string>> {
  const text = String(await redisCommand(port, ['INFO', section]));
  return Object.fromEntries(
    text
      .split('\r\n')
      .filter((line) => line.includes(':'))
      .map((line) => [
        line.slice(0, line.indexOf(':')),
        line.slice(line.indexOf(':') + 1),
      ]),
  );
}

import { createClient } from 'redis';
import { redisCommand } from '../lab/redis-command';

/** One Redis node as it answered `ROLE` itself (or did not answer). */
export interface RedisNodeRole {
  pod: string;
  /** `unreachable`: no answer to `ROLE` (the process is dead, restarting or wedged). */
  role: 'primary' | 'replica' | 'unreachable';
  /** A replica: the pod it replicates from (`ROLE`'s master address, mapped to a pod). */
  replicaOf?: string;
  /** A replica: its link to that primary is up (`ROLE` state `connected`). */
  linkUp?: boolean;
  /** A primary: how many replicas it has connected. */
  replicas?: number;
}

/** One Sentinel and the primary it names (`SENTINEL GET-MASTER-ADDR-BY-NAME`). */
export interface SentinelView {
  pod: string;
  reachable: boolean;
  /** The pod it names primary (`undefined` when it did not answer). */
  names?: string;
}

/** Every Redis node and Sentinel of the stack, each asked for itself, at one moment. */
export interface RedisTopology {
  nodes: RedisNodeRole[];
  sentinels: SentinelView[];
}

/** A pod the topology asks: its name, app and the loopback port it listens on. */
export interface AddressedPod {
  name: string;
  app: string;
  port?: number;
  status: string;
}

const NAME_BY_PORT = (pods: AddressedPod[]) =>
  new Map(pods.map((pod) => [String(pod.port), pod.name]));

type Client = ReturnType<typeof createClient>;

/** Connections kept this long after the last question, then closed (nothing left open). */
const IDLE_MS = 3000;

/**
 * Commands to Redis nodes and Sentinels on 127.0.0.1 over one kept connection per port: asked
 * four times a second, a connection per command would cost more than the command (hundreds of
 * ms on a busy machine, which is the failover's resolution). A connection that fails or does
 * not answer in time is dropped and the question asked again on a fresh one (only that one's
 * failure means "not answering"); idle connections close themselves.
 */
export class RedisAsker {
  private readonly clients = new Map<number, Promise<Client>>();
  private idle?: NodeJS.Timeout;

  async ask(port: number, args: string[], timeoutMs: number): Promise<unknown> {
    this.keepAlive();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer in ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    // What loses a race still settles later: marked handled, it cannot become an unhandled
    // rejection (a command cut off by the destroy of its timed-out connection).
    const within = <T>(work: Promise<T>, limit: Promise<never>) => {
      work.catch(() => undefined);
      return Promise.race([work, limit]);
    };
    const once = async () => {
      const client = await within(this.client(port, timeoutMs), timeout);
      return await within(client.sendCommand(args), timeout);
    };
    try {
      return await once();
    } catch {
      // A kept connection the node closed (a Sentinel reconfiguring it kills its clients) or
      // that went bad: ask once more on a connection of its own before saying it does not answer.
      this.drop(port);
      clearTimeout(timer);
      const again = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer in ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      return await within(redisCommand(port, args, timeoutMs), again);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    clearTimeout(this.idle);
    for (const port of [...this.clients.keys()]) this.drop(port);
  }

  private client(port: number, timeoutMs: number): Promise<Client> {
    let client = this.clients.get(port);
    if (!client) {
      const created = createClient({
        socket: {
          host: '127.0.0.1',
          port,
          connectTimeout: timeoutMs,
          reconnectStrategy: false,
        },
      });
      created.on('error', () => undefined);
      // A node that dies closes the socket: forget the client, the next look dials again.
      created.on('end', () => {
        if (this.clients.get(port) === client) this.clients.delete(port);
      });
      client = created.connect().then(() => created);
      client.catch(() => undefined);
      this.clients.set(port, client);
    }
    return client;
  }

  private drop(port: number): void {
    const client = this.clients.get(port);
    this.clients.delete(port);
    void client?.then((open) => open.destroy()).catch(() => undefined);
  }

  private keepAlive(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.close(), IDLE_MS);
    this.idle.unref();
  }
}

/**
 * Asks each `redis` pod `ROLE` and each `sentinel` pod whom it names primary, on 127.0.0.1 (the
 * local stack's pods listen on loopback, each on its own port). A node or Sentinel that does
 * not answer within `timeoutMs` is reported as such, never guessed.
 */
export async function askRedisTopology(
  pods: AddressedPod[],
  asker: RedisAsker,
  timeoutMs = 1000,
): Promise<RedisTopology> {
  const redis = pods.filter((pod) => pod.app === 'redis');
  const sentinel = pods.filter((pod) => pod.app === 'sentinel');
  const nameOf = NAME_BY_PORT(redis);
  const ask = (pod: AddressedPod, args: string[]) =>
    pod.port && pod.status !== 'Terminating'
      ? asker.ask(pod.port, args, timeoutMs).catch(() => undefined)
      : Promise.resolve(undefined);

  const nodes = await Promise.all(
    redis.map(async (pod): Promise<RedisNodeRole> => {
      const answer = await ask(pod, ['ROLE']);
      if (!Array.isArray(answer)) return { pod: pod.name, role: 'unreachable' };
      if (answer[0] === 'master')
        return {
          pod: pod.name,
          role: 'primary',
          replicas: Array.isArray(answer[2]) ? answer[2].length : 0,
        };
      if (answer[0] === 'slave')
        return {
          pod: pod.name,
          role: 'replica',
          replicaOf:
            nameOf.get(String(answer[2])) ?? `${answer[1]}:${answer[2]}`,
          linkUp: answer[3] === 'connected',
        };
      return { pod: pod.name, role: 'unreachable' };
    }),
  );
  const sentinels = await Promise.all(
    sentinel.map(async (pod): Promise<SentinelView> => {
      // ROLE on a Sentinel lists the primaries it monitors, by name: the first is ours.
      const role = await ask(pod, ['ROLE']);
      const master =
        Array.isArray(role) && Array.isArray(role[1]) ? role[1][0] : undefined;
      if (typeof master !== 'string')
        return { pod: pod.name, reachable: false };
      const address = await ask(pod, [
        'SENTINEL',
        'GET-MASTER-ADDR-BY-NAME',
        master,
      ]);
      if (!Array.isArray(address)) return { pod: pod.name, reachable: false };
      return {
        pod: pod.name,
        reachable: true,
        names: nameOf.get(String(address[1])) ?? `${address[0]}:${address[1]}`,
      };
    }),
  );
  return { nodes, sentinels };
}

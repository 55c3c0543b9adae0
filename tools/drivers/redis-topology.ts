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

/**
 * Asks each `redis` pod `ROLE` and each `sentinel` pod whom it names primary, on 127.0.0.1 (the
 * local stack's pods listen on loopback, each on its own port). A node or Sentinel that does
 * not answer within `timeoutMs` is reported as such, never guessed.
 */
export async function askRedisTopology(
  pods: AddressedPod[],
  timeoutMs = 500,
): Promise<RedisTopology> {
  const redis = pods.filter((pod) => pod.app === 'redis');
  const sentinel = pods.filter((pod) => pod.app === 'sentinel');
  const nameOf = NAME_BY_PORT(redis);
  const ask = (pod: AddressedPod, args: string[]) =>
    pod.port && pod.status !== 'Terminating'
      ? redisCommand(pod.port, args, timeoutMs).catch(() => undefined)
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

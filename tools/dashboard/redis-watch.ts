import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterDriver } from '../drivers/cluster-driver';
import type {
  RedisNodeRole,
  RedisTopology,
  SentinelView,
} from '../drivers/redis-topology';

/** How often the nodes and Sentinels are asked while a page is open: the failover's resolution. */
export const REDIS_POLL_MS = 250;
const FAILOVERS_KEPT = 10;

/** A change of primary, as the watch saw it. Times are the lab process's clock (epoch ms). */
export interface RedisFailover {
  from: string;
  to: string;
  /** The first look at which `from` no longer answered as the primary. */
  lostAt: number;
  /** The first look at which the Sentinels (or, without any, the nodes) named `to`. */
  promotedAt: number;
  /** promotedAt − lostAt, to within one poll interval. */
  tookMs: number;
}

/** The Redis column's data: what the nodes and Sentinels said at the last look. */
export interface RedisView {
  /** False when the driver cannot ask Redis for roles: the column shows the pods only. */
  available: boolean;
  reason?: string;
  at?: number;
  nodes: RedisNodeRole[];
  sentinels: SentinelView[];
  /** Whom the Sentinels name (a majority of them), or with no Sentinel the one node saying so. */
  primary?: string;
  /** Every reachable Sentinel names the same primary. */
  agreed: boolean;
  /** The last known primary stopped answering as one at this time, and nobody took over yet. */
  primaryDownSince?: number;
  /** The newest last. */
  failovers: RedisFailover[];
  pollMs: number;
}

/** The primary a topology names: the Sentinels' majority, else the only node that is one. */
export function primaryOf(topology: RedisTopology): {
  primary?: string;
  agreed: boolean;
} {
  if (topology.sentinels.length > 0) {
    const votes = new Map<string, number>();
    for (const sentinel of topology.sentinels)
      if (sentinel.names)
        votes.set(sentinel.names, (votes.get(sentinel.names) ?? 0) + 1);
    const [best] = [...votes].sort((a, b) => b[1] - a[1]);
    const majority = !!best && best[1] > topology.sentinels.length / 2;
    return { primary: majority ? best[0] : undefined, agreed: votes.size <= 1 };
  }
  const primaries = topology.nodes.filter((node) => node.role === 'primary');
  return {
    primary: primaries.length === 1 ? primaries[0].pod : undefined,
    agreed: primaries.length <= 1,
  };
}

/**
 * Follows the Redis topology from one look to the next: who is primary, since when the primary
 * is down, and each failover with the time it took (from the first look at which the old primary
 * no longer answered as one to the first look at which another was named).
 */
export class RedisFailoverTracker {
  private current?: string;
  private downSince?: number;
  readonly failovers: RedisFailover[] = [];

  observe(topology: RedisTopology, now: number) {
    const { primary, agreed } = primaryOf(topology);
    const known = this.current;
    if (known) {
      const node = topology.nodes.find((candidate) => candidate.pod === known);
      const answers = node?.role === 'primary';
      if (!answers && this.downSince === undefined) this.downSince = now;
      if (answers && primary === known) this.downSince = undefined;
    }
    if (primary && primary !== known) {
      if (known) {
        const lostAt = this.downSince ?? now;
        this.failovers.push({
          from: known,
          to: primary,
          lostAt,
          promotedAt: now,
          tookMs: now - lostAt,
        });
        this.failovers.splice(0, this.failovers.length - FAILOVERS_KEPT);
      }
      this.current = primary;
      this.downSince = undefined;
    }
    return {
      primary: primary ?? this.current,
      agreed,
      primaryDownSince: this.downSince,
    };
  }
}

/**
 * Asks the driver for the Redis topology every REDIS_POLL_MS while started (a page is open);
 * `view` is the last answer. A driver without `redisTopology` gives a view that says so.
 */
export class RedisWatch {
  private readonly tracker = new RedisFailoverTracker();
  /** Bumped by every start and stop: a loop whose generation is past ends. */
  private generation = 0;
  private running = false;
  private loop?: Promise<void>;
  private last: RedisView;

  constructor(
    private readonly driver: ClusterDriver,
    private readonly pollMs = REDIS_POLL_MS,
  ) {
    this.last = driver.redisTopology
      ? this.empty(true)
      : this.empty(
          false,
          `the ${driver.target} driver cannot ask the Redis pods for their roles (it has no way into them): the cards are the pods only`,
        );
  }

  get view(): RedisView {
    return this.last;
  }

  start(): void {
    if (this.running || !this.driver.redisTopology) return;
    this.running = true;
    this.loop = this.run(++this.generation);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    await this.loop;
  }

  /** One look now (the loop's step). */
  async look(): Promise<RedisView> {
    const ask = this.driver.redisTopology;
    if (!ask) return this.last;
    try {
      const topology = await ask.call(this.driver);
      const now = Date.now();
      const seen = this.tracker.observe(topology, now);
      this.last = {
        available: true,
        at: now,
        ...topology,
        ...seen,
        failovers: [...this.tracker.failovers],
        pollMs: this.pollMs,
      };
    } catch (error) {
      this.last = {
        ...this.empty(false, (error as Error).message),
        failovers: [...this.tracker.failovers],
      };
    }
    return this.last;
  }

  private async run(generation: number): Promise<void> {
    while (generation === this.generation) {
      await this.look();
      if (generation === this.generation) await sleep(this.pollMs);
    }
  }

  private empty(available: boolean, reason?: string): RedisView {
    return {
      available,
      reason,
      nodes: [],
      sentinels: [],
      agreed: true,
      failovers: [],
      pollMs: this.pollMs,
    };
  }
}

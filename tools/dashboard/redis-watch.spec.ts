import type { RedisTopology } from '../drivers/redis-topology';
import { primaryOf, RedisFailoverTracker } from './redis-watch';

const sentinels = (...names: Array<string | undefined>) =>
  names.map((name, index) => ({
    pod: `sentinel-${index}`,
    reachable: name !== undefined,
    names: name,
  }));

/** redis-0..2 with `primary` the primary (or none up), the others its replicas. */
function topology(
  primary: string | undefined,
  named: Array<string | undefined>,
  down: string[] = [],
): RedisTopology {
  return {
    nodes: ['redis-0', 'redis-1', 'redis-2'].map((pod) =>
      down.includes(pod)
        ? { pod, role: 'unreachable' as const }
        : pod === primary
          ? { pod, role: 'primary' as const, replicas: 2 - down.length }
          : {
              pod,
              role: 'replica' as const,
              replicaOf: primary,
              linkUp: !!primary && !down.includes(primary),
            },
    ),
    sentinels: sentinels(...named),
  };
}

describe('the Redis primary the dashboard names', () => {
  it('is the one a majority of the Sentinels names, else none', () => {
    expect(
      primaryOf(topology('redis-0', ['redis-0', 'redis-0', 'redis-0'])),
    ).toEqual({ primary: 'redis-0', agreed: true });
    expect(
      primaryOf(topology('redis-1', ['redis-1', 'redis-0', 'redis-1'])),
    ).toEqual({ primary: 'redis-1', agreed: false });
    // One Sentinel of three answering is no majority: no primary is claimed.
    expect(
      primaryOf(topology('redis-0', ['redis-0', undefined, undefined])),
    ).toEqual({ primary: undefined, agreed: true });
  });

  it('without Sentinels (one Redis) is the only node that says it is one', () => {
    const single: RedisTopology = {
      nodes: [{ pod: 'redis-0', role: 'primary', replicas: 0 }],
      sentinels: [],
    };
    expect(primaryOf(single)).toEqual({ primary: 'redis-0', agreed: true });
    expect(
      primaryOf({
        nodes: [{ pod: 'redis-0', role: 'unreachable' }],
        sentinels: [],
      }),
    ).toEqual({ primary: undefined, agreed: true });
  });
});

describe('the failover tracker', () => {
  const all = (name: string) => [name, name, name];

  it('times a failover from the first look the primary is down to the first look naming another', () => {
    const tracker = new RedisFailoverTracker();
    expect(tracker.observe(topology('redis-0', all('redis-0')), 1000)).toEqual({
      primary: 'redis-0',
      agreed: true,
      primaryDownSince: undefined,
    });
    // Killed: the node does not answer, the Sentinels still name it.
    expect(
      tracker.observe(topology(undefined, all('redis-0'), ['redis-0']), 1250),
    ).toEqual({ primary: 'redis-0', agreed: true, primaryDownSince: 1250 });
    tracker.observe(topology(undefined, all('redis-0'), ['redis-0']), 1500);
    expect(tracker.failovers).toEqual([]);
    // Promoted.
    expect(
      tracker.observe(topology('redis-2', all('redis-2'), ['redis-0']), 3900),
    ).toEqual({
      primary: 'redis-2',
      agreed: true,
      primaryDownSince: undefined,
    });
    expect(tracker.failovers).toEqual([
      {
        from: 'redis-0',
        to: 'redis-2',
        lostAt: 1250,
        promotedAt: 3900,
        tookMs: 2650,
      },
    ]);
    // The old one rejoins as a replica: nothing more happened.
    tracker.observe(topology('redis-2', all('redis-2')), 9000);
    expect(tracker.failovers).toHaveLength(1);
  });

  it('sees no failover when the primary comes back before anyone takes over', () => {
    const tracker = new RedisFailoverTracker();
    tracker.observe(topology('redis-0', all('redis-0')), 0);
    tracker.observe(topology(undefined, all('redis-0'), ['redis-0']), 250);
    expect(tracker.observe(topology('redis-0', all('redis-0')), 500)).toEqual({
      primary: 'redis-0',
      agreed: true,
      primaryDownSince: undefined,
    });
    expect(tracker.failovers).toEqual([]);
  });

  it('counts a switch with the old primary still up (SENTINEL FAILOVER) as taking one look', () => {
    const tracker = new RedisFailoverTracker();
    tracker.observe(topology('redis-0', all('redis-0')), 0);
    tracker.observe(topology('redis-1', all('redis-1')), 250);
    expect(tracker.failovers).toEqual([
      {
        from: 'redis-0',
        to: 'redis-1',
        lostAt: 250,
        promotedAt: 250,
        tookMs: 0,
      },
    ]);
  });
});

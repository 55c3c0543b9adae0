export interface Tally {
  ok: number;
  failed: number;
}

/** One completed second: its start (epoch ms) and the tally of every key seen in it. */
export interface SecondOfTraffic {
  at: number;
  counts: Record<string, Tally>;
}

/** What the experiment counts as a failed request: no answer at all, or a 5xx. */
export function isFailedStatus(status: number): boolean {
  return status === 0 || status >= 500;
}

/**
 * Successes and failures per key (an app, a pod) per wall-clock second, for the last
 * `keepSeconds` seconds: what the dashboard's live charts and pod cards show.
 */
export class PerSecondCounter {
  private readonly seconds = new Map<number, Map<string, Tally>>();

  constructor(
    private readonly keepSeconds = 60,
    private readonly clock: () => number = Date.now,
  ) {}

  record(key: string, status: number, at = this.clock()): void {
    const second = Math.floor(at / 1000) * 1000;
    let counts = this.seconds.get(second);
    if (!counts) {
      counts = new Map();
      this.seconds.set(second, counts);
      this.forgetBefore(second - this.keepSeconds * 1000);
    }
    const tally = counts.get(key) ?? { ok: 0, failed: 0 };
    if (isFailedStatus(status)) tally.failed++;
    else tally.ok++;
    counts.set(key, tally);
  }

  /** The last second that is over (the current one is still counting). */
  lastSecond(keys: readonly string[] = []): SecondOfTraffic {
    const current = Math.floor(this.clock() / 1000) * 1000;
    return this.secondAt(current - 1000, keys);
  }

  /** Every completed second still kept, oldest first, zeros where nothing happened. */
  history(keys: readonly string[] = []): SecondOfTraffic[] {
    const current = Math.floor(this.clock() / 1000) * 1000;
    return Array.from({ length: this.keepSeconds }, (_, index) =>
      this.secondAt(current - (this.keepSeconds - index) * 1000, keys),
    );
  }

  private secondAt(second: number, keys: readonly string[]): SecondOfTraffic {
    const counts: Record<string, Tally> = {};
    for (const key of keys) counts[key] = { ok: 0, failed: 0 };
    for (const [key, tally] of this.seconds.get(second) ?? [])
      counts[key] = { ...tally };
    return { at: second, counts };
  }

  private forgetBefore(second: number): void {
    for (const kept of this.seconds.keys()) {
      if (kept < second) this.seconds.delete(kept);
    }
  }
}

/**
 * The few statistics the bench reports. Rounds are few (2 quick, 5 full), so the median is the
 * headline (one noisy round on a shared machine cannot drag it), and the spread is shown next to
 * it instead of a standard deviation that would pretend to more precision than 2–5 samples have.
 */

/** Linear-interpolated percentile (0–100) of unsorted values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (Math.min(Math.max(p, 0), 100) / 100) * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export interface Spread {
  min: number;
  max: number;
  /** Interquartile range (p75 − p25); with two rounds it is half the min–max range. */
  iqr: number;
  /** (max − min) / median: how far apart the rounds were, as a fraction of the headline. */
  relative: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0)
    return { min: NaN, max: NaN, iqr: NaN, relative: NaN };
  const min = Math.min(...values);
  const max = Math.max(...values);
  const middle = median(values);
  return {
    min,
    max,
    iqr: percentile(values, 75) - percentile(values, 25),
    relative: middle === 0 ? NaN : (max - min) / middle,
  };
}

/** value / baseline, or NaN when there is no usable baseline (a failed or empty baseline row). */
export function ratio(value: number, baseline: number): number {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline <= 0)
    return Number.NaN;
  return value / baseline;
}

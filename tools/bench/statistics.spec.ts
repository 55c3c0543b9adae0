import { median, percentile, ratio, spread } from './statistics';

describe('bench statistics', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('interpolates percentiles between ranks and does not reorder its input', () => {
    const values = [40, 10, 30, 20];
    expect(percentile(values, 0)).toBe(10);
    expect(percentile(values, 100)).toBe(40);
    expect(percentile(values, 25)).toBe(17.5);
    expect(values).toEqual([40, 10, 30, 20]);
  });

  it('reports min, max, IQR and the range relative to the median', () => {
    expect(spread([100, 90, 110, 95, 105])).toEqual({
      min: 90,
      max: 110,
      iqr: 10,
      relative: 0.2,
    });
    // Two rounds (the quick bench): the IQR is half the range.
    expect(spread([900, 1100])).toMatchObject({
      min: 900,
      max: 1100,
      iqr: 100,
    });
    expect(spread([]).min).toBeNaN();
  });

  it('divides by the baseline, and refuses a missing or zero baseline', () => {
    expect(ratio(500, 1000)).toBe(0.5);
    expect(ratio(500, 0)).toBeNaN();
    expect(ratio(500, Number.NaN)).toBeNaN();
    expect(ratio(Number.NaN, 1000)).toBeNaN();
  });
});

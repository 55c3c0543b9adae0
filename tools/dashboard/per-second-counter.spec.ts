import { isFailedStatus, PerSecondCounter } from './per-second-counter';

describe('PerSecondCounter', () => {
  let now: number;
  const counter = () => new PerSecondCounter(5, () => now);

  beforeEach(() => (now = 1_000_000));

  it('counts successes and failures per key in the second they happened', () => {
    const traffic = counter();
    traffic.record('order', 201);
    traffic.record('order', 200);
    traffic.record('order', 503);
    traffic.record('cart-legacy', 401); // a lost session answered: not an availability failure
    traffic.record('cart', 0); // no answer at all
    now += 1000;
    expect(traffic.lastSecond(['auth'])).toEqual({
      at: 1_000_000,
      counts: {
        auth: { ok: 0, failed: 0 },
        order: { ok: 2, failed: 1 },
        'cart-legacy': { ok: 1, failed: 0 },
        cart: { ok: 0, failed: 1 },
      },
    });
  });

  it('does not show the second that is still counting', () => {
    const traffic = counter();
    now += 1000;
    traffic.record('order', 200);
    expect(traffic.lastSecond().counts).toEqual({});
  });

  it('keeps a fixed window of history, oldest first, with empty seconds as zeros', () => {
    const traffic = counter();
    traffic.record('order', 200, now - 10_000); // older than the window
    traffic.record('order', 200, now - 3000);
    traffic.record('order', 500, now - 1000);
    const history = traffic.history(['order']);
    expect(history.map((second) => second.at)).toEqual([
      now - 5000,
      now - 4000,
      now - 3000,
      now - 2000,
      now - 1000,
    ]);
    expect(history.map((second) => second.counts.order)).toEqual([
      { ok: 0, failed: 0 },
      { ok: 0, failed: 0 },
      { ok: 1, failed: 0 },
      { ok: 0, failed: 0 },
      { ok: 0, failed: 1 },
    ]);
  });

  it('forgets seconds older than the window as time moves on', () => {
    const traffic = counter();
    traffic.record('order', 200);
    now += 60_000;
    traffic.record('order', 200);
    expect(
      traffic.history(['order']).every((second) => second.at >= now - 5000),
    ).toBe(true);
    expect(
      (traffic as unknown as { seconds: Map<number, unknown> }).seconds.size,
    ).toBe(1);
  });

  it('fails what the experiment fails: no answer or a 5xx', () => {
    expect([0, 200, 401, 404, 499, 500, 502, 503].map(isFailedStatus)).toEqual([
      true,
      false,
      false,
      false,
      false,
      true,
      true,
      true,
    ]);
  });
});

import { findMenuItem, priceLines } from './menu';

describe('priceLines', () => {
  it('prices "two americanos" at 6000 won from the menu', () => {
    expect(priceLines([{ sku: 'americano', qty: 2 }])).toEqual({
      items: [
        {
          sku: 'americano',
          name: 'Americano',
          qty: 2,
          unitPrice: 3000,
          lineTotal: 6000,
        },
      ],
      total: 6000,
    });
  });

  it('sums several lines', () => {
    expect(
      priceLines([
        { sku: 'latte', qty: 1 },
        { sku: 'espresso', qty: 2 },
      ]).total,
    ).toBe(3500 + 5000);
  });

  it('refuses an unknown sku instead of pricing it at 0', () => {
    expect(findMenuItem('mocha')).toBeUndefined();
    expect(() => priceLines([{ sku: 'mocha', qty: 1 }])).toThrow(/unknown sku/);
  });
});

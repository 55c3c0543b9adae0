import { z } from 'zod';

/**
 * The price list: the single source of truth for prices. The order service prices every order
 * from it and the cart shows totals from it; clients never send prices.
 */
export interface MenuItem {
  sku: string;
  name: string;
  /** Price in the currency's minor unit (KRW has none: whole won). */
  price: number;
}

export const MENU_CURRENCY = 'KRW';

export const MENU: readonly MenuItem[] = Object.freeze([
  { sku: 'americano', name: 'Americano', price: 3000 },
  { sku: 'latte', name: 'Caffè latte', price: 3500 },
  { sku: 'cappuccino', name: 'Cappuccino', price: 3500 },
  { sku: 'espresso', name: 'Espresso', price: 2500 },
  { sku: 'tea', name: 'Green tea', price: 2800 },
]);

const MENU_BY_SKU = new Map(MENU.map((item) => [item.sku, item]));

export function findMenuItem(sku: string): MenuItem | undefined {
  return MENU_BY_SKU.get(sku);
}

export const MENU_SKUS = MENU.map((item) => item.sku) as [string, ...string[]];

/** One line of a placed order: priced from the menu by the order service. */
export const pricedLineSchema = z.object({
  sku: z.string(),
  name: z.string(),
  qty: z.number().int(),
  unitPrice: z.number().int(),
  lineTotal: z.number().int(),
});
export type PricedLine = z.infer<typeof pricedLineSchema>;

/** Prices lines from the menu; unknown SKUs must have been rejected by validation before. */
export function priceLines(
  lines: ReadonlyArray<{ sku: string; qty: number }>,
): {
  items: PricedLine[];
  total: number;
} {
  const items = lines.map(({ sku, qty }) => {
    const item = findMenuItem(sku);
    if (!item) throw new Error(`unknown sku ${sku}`);
    return {
      sku,
      name: item.name,
      qty,
      unitPrice: item.price,
      lineTotal: item.price * qty,
    };
  });
  return { items, total: items.reduce((sum, line) => sum + line.lineTotal, 0) };
}

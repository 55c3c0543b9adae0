import {
  MENU_CURRENCY,
  priceLines,
  type PaymentMethod,
  type PricedLine,
} from '@app/contracts';
import type { CartSession } from '../session/cart-sessions.service';

export interface CartView {
  user: string;
  items: PricedLine[];
  total: number;
  currency: string;
  payment: PaymentMethod | null;
  /** Which pod created the session: with the memory store, the only pod that knows it. */
  sessionCreatedBy: string;
  sessionCreatedAt: string;
}

/** Prices from the same menu the order service uses: one source of truth. */
export function cartView(session: CartSession): CartView {
  const { items, total } = priceLines(session.cart?.lines ?? []);
  return {
    user: session.userId as string,
    items,
    total,
    currency: MENU_CURRENCY,
    payment: session.cart?.payment ?? null,
    sessionCreatedBy: session.createdByPod as string,
    sessionCreatedAt: new Date(session.createdAt as number).toISOString(),
  };
}

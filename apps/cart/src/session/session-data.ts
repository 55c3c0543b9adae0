import type { PaymentMethod } from '@app/contracts';

export interface CartLine {
  sku: string;
  qty: number;
}

export interface CartState {
  /** A new id per cart: the checkout's Idempotency-Key is derived from it and the contents. */
  id: string;
  lines: CartLine[];
  payment?: PaymentMethod;
}

declare module 'express-session' {
  interface SessionData {
    userId: string;
    /** Kept to act for the user at checkout (cart → order), as a legacy BFF would. */
    accessToken: string;
    /** Epoch ms: the absolute lifetime is counted from here, whatever the activity. */
    createdAt: number;
    createdByPod: string;
    cart: CartState;
  }
}

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
    /**
     * The user's bearer token, sealed (AccessTokenCipher): checkout acts for the user (cart →
     * order), as a legacy BFF would, but the store never holds the token in clear.
     */
    sealedAccessToken: string;
    /** Epoch ms: the absolute lifetime is counted from here, whatever the activity. */
    createdAt: number;
    createdByPod: string;
    cart: CartState;
  }
}

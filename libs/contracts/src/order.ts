import type { PricedLine } from './menu';

export const PAYMENT_METHODS = ['card', 'cash'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export interface OrderLineRequest {
  sku: string;
  qty: number;
}

/** The whole order, in one request: what a stateless service needs and nothing more. */
export interface CreateOrderRequest {
  items: OrderLineRequest[];
  payment: PaymentMethod;
}

export interface Order {
  id: string;
  items: PricedLine[];
  total: number;
  currency: string;
  payment: PaymentMethod;
  createdAt: string;
}

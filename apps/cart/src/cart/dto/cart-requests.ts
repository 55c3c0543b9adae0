import { z } from 'zod';
import {
  MAX_ORDER_LINES,
  MAX_QTY_PER_SKU,
  MENU_SKUS,
  orderLineSchema,
  PAYMENT_METHODS,
} from '@app/contracts';

// The order's own limits (libs/contracts): a cart never holds what checkout would be refused.
// A cart keeps one line per sku, so its per-line cap is the order's cap per sku.
export const MAX_QTY_PER_LINE = MAX_QTY_PER_SKU;
export const MAX_LINES = MAX_ORDER_LINES;

export const addItemSchema = orderLineSchema;
export type AddItemRequest = z.infer<typeof addItemSchema>;

export const choosePaymentSchema = z.strictObject({
  method: z.enum(PAYMENT_METHODS),
});
export type ChoosePaymentRequest = z.infer<typeof choosePaymentSchema>;

export const skuParamSchema = z.enum(MENU_SKUS);

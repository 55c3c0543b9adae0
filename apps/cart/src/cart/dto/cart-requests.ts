import { z } from 'zod';
import { MENU_SKUS, PAYMENT_METHODS } from '@app/contracts';

export const MAX_QTY_PER_LINE = 99;
export const MAX_LINES = 20;

export const addItemSchema = z.strictObject({
  sku: z.enum(MENU_SKUS),
  qty: z.number().int().min(1).max(MAX_QTY_PER_LINE),
});
export type AddItemRequest = z.infer<typeof addItemSchema>;

export const choosePaymentSchema = z.strictObject({
  method: z.enum(PAYMENT_METHODS),
});
export type ChoosePaymentRequest = z.infer<typeof choosePaymentSchema>;

export const skuParamSchema = z.enum(MENU_SKUS);

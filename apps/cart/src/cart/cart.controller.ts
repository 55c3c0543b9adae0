import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Put,
  Req,
  UseGuards,
} from '@nestjs/common';
import type { Request } from 'express';
import { createHash } from 'node:crypto';
import type { Order } from '@app/contracts';
import { SessionAuthenticated } from '@app/identity';
import { OrderClient } from '../checkout/order.client';
import { CartSessions, emptyCart } from '../session/cart-sessions.service';
import { CsrfGuard } from '../session/csrf.guard';
import { SessionGuard } from '../session/session.guard';
import { cartView, type CartView } from './cart-view';
import {
  addItemSchema,
  choosePaymentSchema,
  MAX_LINES,
  MAX_QTY_PER_LINE,
  skuParamSchema,
  type AddItemRequest,
  type ChoosePaymentRequest,
} from './dto/cart-requests';

/**
 * The coffee-counter conversation, one step per request, each leaning on what the server kept:
 * "two americanos" (POST items), "by card" (PUT payment), "that's all" (POST checkout).
 * Routes sit under ROUTE_PREFIX (`/cart` or `/legacy-cart`).
 */
@SessionAuthenticated()
@UseGuards(CsrfGuard, SessionGuard)
@Controller()
export class CartController {
  constructor(
    private readonly sessions: CartSessions,
    private readonly orders: OrderClient,
  ) {}

  @Get()
  show(@Req() request: Request): CartView {
    return cartView(request.session);
  }

  @Post('items')
  @HttpCode(HttpStatus.OK)
  async addItem(
    @Req() request: Request,
    @Body({ schema: addItemSchema }) { sku, qty }: AddItemRequest,
  ): Promise<CartView> {
    await this.sessions.update(request, (session) => {
      const cart = (session.cart ??= emptyCart());
      const line = cart.lines.find((candidate) => candidate.sku === sku);
      if (line && line.qty + qty > MAX_QTY_PER_LINE) {
        throw new BadRequestException(
          `qty: at most ${MAX_QTY_PER_LINE} ${sku} per cart`,
        );
      }
      if (!line && cart.lines.length >= MAX_LINES) {
        throw new BadRequestException(
          `sku: at most ${MAX_LINES} different items per cart`,
        );
      }
      if (line) line.qty += qty;
      else cart.lines.push({ sku, qty });
    });
    return cartView(request.session);
  }

  @Delete('items/:sku')
  async removeItem(
    @Req() request: Request,
    @Param('sku', { schema: skuParamSchema }) sku: string,
  ): Promise<CartView> {
    await this.sessions.update(request, (session) => {
      const cart = (session.cart ??= emptyCart());
      cart.lines = cart.lines.filter((line) => line.sku !== sku);
    });
    return cartView(request.session);
  }

  @Put('payment')
  async choosePayment(
    @Req() request: Request,
    @Body({ schema: choosePaymentSchema }) { method }: ChoosePaymentRequest,
  ): Promise<CartView> {
    await this.sessions.update(request, (session) => {
      (session.cart ??= emptyCart()).payment = method;
    });
    return cartView(request.session);
  }

  /**
   * Places the order with the user's token and an Idempotency-Key derived from the cart (its id
   * and contents): a checkout retried after a failure between "order placed" and "cart emptied"
   * replays the same order instead of placing a second. The cart is emptied only afterwards.
   */
  @Post('checkout')
  async checkout(@Req() request: Request): Promise<Order> {
    const { cart } = request.session;
    if (!cart || cart.lines.length === 0)
      throw new BadRequestException('the cart is empty');
    if (!cart.payment) {
      throw new BadRequestException(
        'payment: choose card or cash first (PUT payment)',
      );
    }
    const contents = JSON.stringify({
      lines: cart.lines,
      payment: cart.payment,
    });
    const fingerprint = createHash('sha256')
      .update(contents)
      .digest('base64url')
      .slice(0, 22);
    const order = await this.orders.place(
      this.sessions.accessTokenOf(request),
      { items: cart.lines, payment: cart.payment },
      `cart-${cart.id}-${fingerprint}`,
      String(request.id),
    );
    await this.sessions.update(request, (session) => {
      // Only the cart that was ordered is emptied; one changed meanwhile is left alone.
      if (session.cart?.id === cart.id) session.cart = emptyCart();
    });
    return order;
  }
}

import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Headers,
  NotFoundException,
  Param,
  Post,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import {
  createOrderSchema,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_REPLAY_HEADER,
  type CreateOrderRequest,
  type Order,
} from '@app/contracts';
import { CurrentUser, type AuthenticatedUser } from '@app/identity';
import { idempotencyKeySchema, orderIdSchema } from './dto/create-order.schema';
import { OrdersService } from './orders.service';

/** Stateless: the bearer token says who, the body says what; nothing is kept between requests. */
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  async create(
    @CurrentUser() user: AuthenticatedUser,
    @Body({ schema: createOrderSchema }) body: CreateOrderRequest,
    @Headers(IDEMPOTENCY_KEY_HEADER) idempotencyHeader: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<Order> {
    // Header parameters take no schema in Nest; validated here with the same zod rules.
    const parsedKey = idempotencyKeySchema.safeParse(idempotencyHeader);
    if (!parsedKey.success)
      throw new BadRequestException(parsedKey.error.issues[0].message);
    const idempotencyKey = parsedKey.data;
    const { order, replayed } = await this.orders.place(
      user.id,
      body,
      idempotencyKey,
    );
    if (replayed) response.setHeader(IDEMPOTENT_REPLAY_HEADER, 'true');
    response.status(201);
    return order;
  }

  @Get()
  list(@CurrentUser() user: AuthenticatedUser): Promise<Order[]> {
    return this.orders.list(user.id);
  }

  @Get(':id')
  async findOne(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', { schema: orderIdSchema }) id: string,
  ): Promise<Order> {
    const order = await this.orders.findOne(user.id, id);
    if (!order) throw new NotFoundException(`order ${id} not found`);
    return order;
  }
}

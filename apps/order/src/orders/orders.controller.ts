import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Res,
} from '@nestjs/common';
import {
  createOrderSchema,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_REPLAY_HEADER,
  idempotencyKeySchema,
  orderIdSchema,
  type CreateOrderRequest,
  type Order,
} from '@app/contracts';
import { CurrentUser, type AuthenticatedUser } from '@app/identity';
import { OrdersService } from './orders.service';

/** What the handler sets on a response: Express's `res.header` and Fastify's `reply.header` alike. */
interface ResponseHeaders {
  header(name: string, value: string): unknown;
}

/** Stateless: the bearer token says who, the body says what; nothing is kept between requests. */
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  async create(
    @CurrentUser() user: AuthenticatedUser,
    @Body({ schema: createOrderSchema }) body: CreateOrderRequest,
    @Headers(IDEMPOTENCY_KEY_HEADER) idempotencyHeader: string | undefined,
    @Res({ passthrough: true }) response: ResponseHeaders,
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
    if (replayed) response.header(IDEMPOTENT_REPLAY_HEADER, 'true');
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

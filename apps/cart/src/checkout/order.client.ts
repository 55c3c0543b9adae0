import {
  BadGatewayException,
  HttpException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  IDEMPOTENCY_KEY_HEADER,
  type CreateOrderRequest,
  type Order,
} from '@app/contracts';
import { REQUEST_ID_HEADER } from '@app/platform';
import type { CartEnvironment } from '../config/cart-environment';

const ORDER_TIMEOUT_MS = 5000;

/** Places orders through the order service over HTTP (services share no code paths at runtime). */
@Injectable()
export class OrderClient {
  private readonly ordersUrl: string;

  constructor(config: ConfigService<CartEnvironment, true>) {
    this.ordersUrl = new URL(
      '/orders',
      config.get('ORDER_URL', { infer: true }),
    ).toString();
  }

  async place(
    accessToken: string,
    order: CreateOrderRequest,
    idempotencyKey: string,
    requestId?: string,
  ): Promise<Order> {
    let response: Response;
    try {
      // Node's fetch keeps connections alive between calls.
      response = await fetch(this.ordersUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${accessToken}`,
          'content-type': 'application/json',
          [IDEMPOTENCY_KEY_HEADER]: idempotencyKey,
          // The same request id in cart's and order's logs: one user action, followed across services.
          ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
        },
        body: JSON.stringify(order),
        signal: AbortSignal.timeout(ORDER_TIMEOUT_MS),
      });
    } catch (error) {
      throw new BadGatewayException(
        `order service unreachable: ${(error as Error).message}`,
      );
    }
    const body = (await response.json().catch(() => ({}))) as Order & {
      message?: unknown;
    };
    if (response.status === 201) return body;
    if (response.status === 401) {
      throw new UnauthorizedException(
        "the order service rejected the session's token; log in again",
      );
    }
    if (response.status >= 500) {
      throw new BadGatewayException(
        `order service answered ${response.status}`,
      );
    }
    throw new HttpException(body.message ?? 'order rejected', response.status);
  }
}

import {
  Inject,
  MiddlewareConsumer,
  Module,
  NestModule,
  OnApplicationShutdown,
} from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import {
  closeRedisClient,
  environmentConfigModule,
  HealthModule,
  ObservabilityModule,
  RedisModule,
  type RedisClient,
} from '@app/platform';
import { CartController } from './cart/cart.controller';
import { OrderClient } from './checkout/order.client';
import { cartEnvironmentSchema } from './config/cart-environment';
import { CartSessions } from './session/cart-sessions.service';
import { SessionController } from './session/session.controller';
import { SessionGuard } from './session/session.guard';
import {
  SESSION_REDIS,
  sessionRedisProvider,
  sessionStoreProvider,
} from './session/session-store.provider';
import { SessionMiddleware } from './session/session.middleware';

@Module({
  imports: [
    environmentConfigModule(cartEnvironmentSchema),
    // The deployment's name: one image runs as `cart` (Redis sessions) and `cart-legacy` (memory).
    ObservabilityModule.forApp(
      process.env.SESSION_STORE === 'memory' ? 'cart-legacy' : 'cart',
    ),
    HealthModule,
    // The denylist's client (AUTH_REVOCATION=denylist): the session store's is absent in memory
    // mode, and a session store outage should not be confused with the denylist's.
    ...(process.env.AUTH_REVOCATION === 'denylist' ? [RedisModule] : []),
    IdentityModule,
  ],
  controllers: [SessionController, CartController],
  providers: [
    sessionRedisProvider,
    sessionStoreProvider,
    SessionMiddleware,
    CartSessions,
    SessionGuard,
    OrderClient,
  ],
})
export class CartModule implements NestModule, OnApplicationShutdown {
  constructor(
    @Inject(SESSION_REDIS) private readonly redis: RedisClient | null,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    // Sessions only on cart routes: probes never create or touch one.
    consumer
      .apply(SessionMiddleware)
      .forRoutes(SessionController, CartController);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.redis) await closeRedisClient(this.redis);
  }
}

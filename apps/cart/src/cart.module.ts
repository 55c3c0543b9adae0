import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import {
  earlyEnvironmentValue,
  environmentConfigModule,
  HealthModule,
  ObservabilityModule,
  RedisModule,
} from '@app/platform';
import { CartController } from './cart/cart.controller';
import { OrderClient } from './checkout/order.client';
import {
  cartEnvironmentSchema,
  sessionStoreSchema,
} from './config/cart-environment';
import { CartSessions } from './session/cart-sessions.service';
import { SessionController } from './session/session.controller';
import { SessionGuard } from './session/session.guard';
import {
  cartNeedsRedis,
  sessionRedisProvider,
  sessionStoreProvider,
} from './session/session-store.provider';
import { SessionMiddleware } from './session/session.middleware';

@Module({
  imports: [
    environmentConfigModule(cartEnvironmentSchema),
    // The deployment's name: one image runs as `cart` (Redis sessions) and `cart-legacy` (memory),
    // needed before the validated config exists (the logger is made with the module).
    ObservabilityModule.forApp(
      earlyEnvironmentValue('SESSION_STORE', sessionStoreSchema, 'redis') ===
        'memory'
        ? 'cart-legacy'
        : 'cart',
    ),
    HealthModule,
    // One client for the session store and the denylist; the memory-store cart without the
    // denylist connects to no Redis at all.
    RedisModule.optional(cartNeedsRedis),
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
export class CartModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Sessions only on cart routes: probes never create or touch one.
    consumer
      .apply(SessionMiddleware)
      .forRoutes(SessionController, CartController);
  }
}

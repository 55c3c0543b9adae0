import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import {
  environmentConfigModule,
  HealthModule,
  ObservabilityModule,
  RedisModule,
} from '@app/platform';
import { orderEnvironmentSchema } from './config/order-environment';
import { MenuController } from './menu/menu.controller';
import { OrderRateLimiter } from './orders/order-rate.limiter';
import { OrderRepository } from './orders/order.repository';
import { OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';

@Module({
  imports: [
    environmentConfigModule(orderEnvironmentSchema),
    ObservabilityModule.forApp('order'),
    HealthModule,
    RedisModule,
    IdentityModule,
  ],
  controllers: [MenuController, OrdersController],
  providers: [OrdersService, OrderRepository, OrderRateLimiter],
})
export class OrderModule {}

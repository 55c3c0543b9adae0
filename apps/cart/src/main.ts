import 'reflect-metadata';
import { ConfigService } from '@nestjs/config';
import { bootstrapService } from '@app/platform';
import { CartModule } from './cart.module';
import type { CartEnvironment } from './config/cart-environment';
import { GLOBAL_PREFIX_EXCLUSIONS } from './config/global-prefix';

void bootstrapService('cart', CartModule, (app) => {
  const prefix = app
    .get<ConfigService<CartEnvironment, true>>(ConfigService)
    .get('ROUTE_PREFIX', {
      infer: true,
    });
  app.setGlobalPrefix(prefix, { exclude: [...GLOBAL_PREFIX_EXCLUSIONS] });
});

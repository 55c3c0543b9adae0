import 'reflect-metadata';
import { ConfigService } from '@nestjs/config';
import { bootstrapService } from '@app/platform';
import { CartModule } from './cart.module';
import type { CartEnvironment } from './config/cart-environment';
import { GLOBAL_PREFIX_EXCLUSIONS } from './config/global-prefix';

// Express: express-session is an Express middleware, and the legacy app is the old Express app.
void bootstrapService('cart', CartModule, {
  adapter: 'express',
  configure: (app) => {
    const prefix = app
      .get<ConfigService<CartEnvironment, true>>(ConfigService)
      .get('ROUTE_PREFIX', {
        infer: true,
      });
    // One image, two deployments: `/cart` (Redis sessions) or `/legacy-cart` (memory sessions).
    // Probes and /metrics stay at the root, as on every pod.
    app.setGlobalPrefix(prefix, { exclude: [...GLOBAL_PREFIX_EXCLUSIONS] });
  },
});

import 'reflect-metadata';
import { bootstrapService, httpAdapterChosen } from '@app/platform';
import { OrderModule } from './order.module';

// Stateless: Fastify (README, "HTTP adapters"); HTTP_ADAPTER=express is the bench's comparison.
void bootstrapService('order', OrderModule, {
  adapter: httpAdapterChosen('fastify'),
});

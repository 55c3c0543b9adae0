import 'reflect-metadata';
import { bootstrapService } from '@app/platform';
import { AuthModule } from './auth.module';

// Stateless: nothing Express-only, so the faster adapter (README, "HTTP adapters").
void bootstrapService('auth', AuthModule, { adapter: 'fastify' });

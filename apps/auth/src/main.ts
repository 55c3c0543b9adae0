import 'reflect-metadata';
import { bootstrapService } from '@app/platform';
import { AuthModule } from './auth.module';

void bootstrapService('auth', AuthModule);

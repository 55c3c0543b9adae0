import 'reflect-metadata';
import { bootstrapService } from '@app/platform';
import { OrderModule } from './order.module';

void bootstrapService('order', OrderModule);

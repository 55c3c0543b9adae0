import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../public.decorator';
import { metricsRegistry } from './metrics';

/** Prometheus scrape endpoint on every pod; the entry point never routes it (not public). */
@Public()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', metricsRegistry.contentType)
  scrape(): Promise<string> {
    return metricsRegistry.metrics();
  }
}

import type { z } from 'zod';
import { platformEnvironmentSchema } from './platform-environment';

/**
 * A variable needed before the app's validated ConfigService exists (the logger's level, the
 * HTTP adapter and its trusted proxies, a module's name), parsed by the very schema field that
 * validates it at start-up. A malformed value gives `fallback` here, and the configuration check
 * then refuses to start, naming the variable.
 */
export function earlyEnvironmentValue<T>(
  name: string,
  field: z.ZodType<T>,
  fallback: T,
): T {
  const parsed = field.safeParse(process.env[name]);
  return parsed.success ? parsed.data : fallback;
}

/** LOG_LEVEL before the app exists: Nest's logger and the root pino logger are made first. */
export function logLevelChosen() {
  return earlyEnvironmentValue(
    'LOG_LEVEL',
    platformEnvironmentSchema.shape.LOG_LEVEL,
    'log',
  );
}

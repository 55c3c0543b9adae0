import { ConfigModule, type ConfigModuleOptions } from '@nestjs/config';

/**
 * Configuration comes from the environment only (12-factor), validated once at start-up by the
 * app's schema. An invalid variable rejects bootstrap with "Config validation error: NAME: why".
 */
export function environmentConfigModule(
  schema: NonNullable<ConfigModuleOptions['validationSchema']>,
) {
  const configModule = ConfigModule.forRoot({
    isGlobal: true,
    ignoreEnvFile: true,
    cache: true,
    validationSchema: schema,
  });
  // forRoot validates as soon as the module file is imported, long before NestFactory awaits it;
  // marking the promise handled lets that rejection reach bootstrap (one clear line and exit 1)
  // instead of crashing as an unhandled rejection with a stack trace.
  configModule.catch(() => undefined);
  return configModule;
}

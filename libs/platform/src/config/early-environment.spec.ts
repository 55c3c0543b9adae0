import { earlyEnvironmentValue, logLevelChosen } from './early-environment';
import { platformEnvironmentSchema } from './platform-environment';

describe('earlyEnvironmentValue: a variable read before the validated config exists', () => {
  const saved = process.env.LOG_LEVEL;
  afterEach(() => {
    if (saved === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = saved;
  });

  it("parses with the schema's own field: its default when unset, the value when valid", () => {
    delete process.env.LOG_LEVEL;
    expect(logLevelChosen()).toBe('log');
    process.env.LOG_LEVEL = 'debug';
    expect(logLevelChosen()).toBe('debug');
  });

  it('gives the fallback for a malformed value (the configuration check then refuses it)', () => {
    process.env.LOG_LEVEL = 'loud';
    expect(logLevelChosen()).toBe('log');
    expect(
      earlyEnvironmentValue(
        'LOG_LEVEL',
        platformEnvironmentSchema.shape.LOG_LEVEL,
        'error',
      ),
    ).toBe('error');
  });
});

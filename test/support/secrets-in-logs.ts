/**
 * What must never appear in a log line: bearer/access tokens (JWTs), signed session cookies, and
 * the passwords the test users log in with. Patterns, not values, so every spec's processes can
 * be checked without each spec listing what it used.
 */
const SECRET_PATTERNS: Array<[string, RegExp]> = [
  ['a JWT', /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{16,}/],
  ['a signed session cookie', /s(%3A|:)[\w-]{24,}\.[\w%+/=-]{20,}/],
  [
    'a test password',
    /alice-password|bob-password|alice-pw-|bob-pw-|vu\d\d-pass/,
  ],
];

/** Every log line (of `text`) that carries something secret, with what it carries. */
export function secretsIn(text: string): string[] {
  return text
    .split('\n')
    .flatMap((line) =>
      SECRET_PATTERNS.filter(([, pattern]) => pattern.test(line)).map(
        ([what]) => `${what}: ${line.slice(0, 200)}`,
      ),
    );
}

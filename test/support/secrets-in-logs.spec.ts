import { secretsIn } from './secrets-in-logs';

describe('secretsIn (the log scan every e2e spec runs in stopAll)', () => {
  it('finds a JWT, a signed session cookie and a test password', () => {
    const jwt =
      'eyJhbGciOiJFZERTQSIsImtpZCI6ImRldiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MX0.64aixy6kG0qhAVA1XXL3-tqUbqVNDKNZ4GP7vM01Ws7o';
    const cookie =
      'cart_sid=s%3A5wQ5Und-Y1TFVD0eJnQzOj3CqY7X2V1y.n2BjpSXxMkVfwf9KiRq0YzeCenwiEDK3m6n2SYQstyA';
    const found = secretsIn(
      [
        `{"msg":"token ${jwt}"}`,
        `{"cookie":"${cookie}"}`,
        '{"body":{"password":"alice-password"}}',
      ].join('\n'),
    );
    expect(found.map((leak) => leak.split(':')[0])).toEqual([
      'a JWT',
      'a signed session cookie',
      'a test password',
    ]);
  });

  it('lets an ordinary request log line through', () => {
    const line =
      '{"level":30,"app":"cart","pod":"cart-4567","req":{"id":"trace-1f3e","method":"POST","url":"/cart/items"},"userId":"alice","res":{"statusCode":200},"responseTime":12}';
    expect(secretsIn(line)).toEqual([]);
  });
});

import type { IncomingHttpHeaders } from 'node:http';
import {
  decodePathSegment,
  foreignRequestError,
  jsonObjectBody,
  LabHttpError,
  labUrlOf,
} from './lab-request';

const PORT = 8080;
const request = (
  method: string,
  headers: IncomingHttpHeaders,
  url = '/_lab/pods',
) => ({
  method,
  url,
  headers: { host: `127.0.0.1:${PORT}`, ...headers },
  socket: { localPort: PORT },
});
const statusOf = (error: LabHttpError | undefined) => error?.statusCode;

describe('foreignRequestError: the lab API answers its own origin only', () => {
  it('lets the stack itself through: the CLI and drivers (no browser headers), its own page', () => {
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080']) {
      expect(statusOf(foreignRequestError(request('GET', { host })))).toBe(
        undefined,
      );
      expect(
        statusOf(
          foreignRequestError(
            request('PATCH', {
              host,
              origin: `http://${host}`,
              'sec-fetch-site': 'same-origin',
            }),
          ),
        ),
      ).toBe(undefined);
    }
    // A link from elsewhere to the page (a navigation) opens it.
    expect(
      statusOf(
        foreignRequestError(
          request('GET', {
            'sec-fetch-site': 'cross-site',
            'sec-fetch-mode': 'navigate',
          }),
        ),
      ),
    ).toBe(undefined);
  });

  it('refuses another name or port in Host with 421', () => {
    for (const host of [
      'evil.example',
      'evil.example:8080',
      '127.0.0.1:8081',
      '127.0.0.1',
      '',
    ]) {
      expect({
        host,
        status: statusOf(foreignRequestError(request('GET', { host }))),
      }).toEqual({
        host,
        status: 421,
      });
    }
    const noHost = request('GET', { host: undefined });
    expect(statusOf(foreignRequestError(noHost))).toBe(421);
  });

  it('refuses another origin or site with 403, a form POST navigation included', () => {
    const cases: Array<[string, IncomingHttpHeaders]> = [
      ['POST', { origin: 'http://evil.example' }],
      ['DELETE', { origin: 'null' }],
      ['PATCH', { origin: 'http://localhost:8080' }],
      ['PUT', { origin: 'https://127.0.0.1:8080' }],
      ['POST', { 'sec-fetch-site': 'same-site' }],
      [
        'POST',
        { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' },
      ],
      ['GET', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }],
      ['GET', { origin: 'http://evil.example' }],
    ];
    for (const [method, headers] of cases) {
      expect({
        method,
        headers,
        status: statusOf(foreignRequestError(request(method, headers))),
      }).toEqual({ method, headers, status: 403 });
    }
  });

  it('refuses a request target that is not a path', () => {
    expect(
      statusOf(
        foreignRequestError(
          request('GET', {}, 'http://evil.example/_lab/pods'),
        ),
      ),
    ).toBe(400);
  });
});

describe('reading a lab request', () => {
  const json = { 'content-type': 'application/json; charset=utf-8' };

  it('parses a JSON object sent as application/json', () => {
    expect(
      jsonObjectBody({ headers: json }, Buffer.from('{"replicas":2}')),
    ).toEqual({ replicas: 2 });
    expect(jsonObjectBody({ headers: json }, Buffer.from(''))).toEqual({});
  });

  it('refuses any other type with 415 before reading it, and what is not an object with 400', () => {
    const body = Buffer.from('{"oneOfEach":true,"grace":0}');
    for (const type of [
      undefined,
      'text/plain',
      'text/plain;charset=UTF-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonp',
    ]) {
      const headers = type ? { 'content-type': type } : {};
      expect(() => jsonObjectBody({ headers }, body)).toThrow(
        expect.objectContaining({ statusCode: 415 }),
      );
    }
    for (const text of ['{nope', 'null', '[1]', '7']) {
      expect(() =>
        jsonObjectBody({ headers: json }, Buffer.from(text), '{"replicas": n}'),
      ).toThrow(
        expect.objectContaining({
          statusCode: 400,
          message: 'body must be a JSON object: {"replicas": n}',
        }),
      );
    }
  });

  it('turns a malformed path into a 400, not an exception', () => {
    expect(decodePathSegment('cart-legacy-a%2Db')).toBe('cart-legacy-a-b');
    expect(() => decodePathSegment('%E0%A4%A')).toThrow(
      expect.objectContaining({ statusCode: 400 }),
    );
    expect(labUrlOf({ url: '/_lab/pods?app=order' }).pathname).toBe(
      '/_lab/pods',
    );
    // A path that starts with `//` stays a path, not another host.
    expect(labUrlOf({ url: '//evil.example/_lab/pods' }).pathname).toBe(
      '//evil.example/_lab/pods',
    );
    expect(new LabHttpError(400, 'x').body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'x',
    });
  });
});

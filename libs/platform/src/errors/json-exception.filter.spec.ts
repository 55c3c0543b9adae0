import { BadRequestException, NotFoundException } from '@nestjs/common';
import { ClientClosedError, SocketClosedUnexpectedlyError } from 'redis';
import { toErrorBody } from './json-exception.filter';

describe('toErrorBody', () => {
  it('keeps the status and message of an HttpException', () => {
    expect(toErrorBody(new NotFoundException('order x not found'))).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'order x not found',
    });
  });

  it('keeps the list of validation messages', () => {
    expect(
      toErrorBody(new BadRequestException(['items.0.qty: too small'])),
    ).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: ['items.0.qty: too small'],
    });
  });

  it('turns a body-parser error into its own 4xx', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), {
      status: 413,
      expose: true,
    });
    expect(toErrorBody(tooLarge)).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'request entity too large',
    });
  });

  it.each([new ClientClosedError(), new SocketClosedUnexpectedlyError()])(
    'turns a Redis outage (%p) into 503',
    (error) => {
      expect(toErrorBody(error)).toMatchObject({
        statusCode: 503,
        error: 'Service Unavailable',
      });
    },
  );

  it('hides the message and stack of an unexpected error', () => {
    const body = toErrorBody(new Error('secret detail at /srv/app.js:12'));
    expect(body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Internal server error',
    });
  });
});

/**
 * The ceiling: node:http answering a constant JSON body, no framework. Started by servers.ts on
 * PORT; exits when the bench that started it goes away (its IPC channel closes).
 */
import { createServer } from 'node:http';

const body = JSON.stringify({ hello: 'world' });

createServer((_request, response) => {
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1');

process.on('disconnect', () => process.exit(0));

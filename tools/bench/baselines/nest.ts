/**
 * Bare Nest on Express: one controller returning a constant JSON body, on the same Nest and Express
 * versions as the apps but none of their conventions (no guard, middleware, filters, pipes,
 * config, Redis). The reference row: every other row is a ratio to this one.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Controller('hello')
class HelloController {
  @Get()
  hello() {
    return { hello: 'world' };
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(HelloModule, { logger: false });
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

process.on('disconnect', () => process.exit(0));
void main();

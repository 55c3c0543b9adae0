/**
 * Bare Nest on Fastify: the same constant controller as `nest.ts`, on `@nestjs/platform-fastify`
 * (the adapter order and auth run on), none of the apps' conventions. The second reference: a
 * row's ratio to it is what the app costs beyond the framework it runs on.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

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
  const app = await NestFactory.create(HelloModule, new FastifyAdapter(), {
    logger: false,
  });
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

process.on('disconnect', () => process.exit(0));
void main();

import { INestApplication, ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Module } from '@nestjs/common';

export type AdapterName = 'express' | 'fastify';
export const ADAPTERS: AdapterName[] = ['express', 'fastify'];

export interface TestApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/** A real Nest app on the chosen adapter, listening on a free port. */
export async function startApp(
  adapter: AdapterName,
  metadata: ModuleMetadata,
  setup?: (app: INestApplication) => void,
): Promise<TestApp> {
  @Module(metadata)
  class TestAppModule {}
  const app = await NestFactory.create(
    TestAppModule,
    adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
    { logger: false, abortOnError: false },
  );
  setup?.(app);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, close: () => app.close() };
}

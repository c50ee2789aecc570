'use strict';
// The app under load: the module's webhook route and a bare POST route, side by side in one Nest app.
// Run as a child of run.js (`fork('server.js', [adapter])`); it answers over IPC: ready, stats, stop.
require('reflect-metadata');
const { Body, Controller, HttpCode, Injectable, Module, Post } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { EcwidModule, OnEcwidEvent } = require('../dist');
const { BARE_PATH, BENCH_CLIENT_SECRET, BENCH_STORE_ID } = require('./deliveries');

const ADAPTERS = {
  express: () => new (require('@nestjs/platform-express').ExpressAdapter)(),
  fastify: () => new (require('@nestjs/platform-fastify').FastifyAdapter)(),
};

// Counted so run.js can prove every 2xx webhook answer went through emission, not the duplicate short cut.
let emitted = 0;

class OrderUpdatedListener {
  handle() {
    emitted += 1;
  }
}
Injectable()(OrderUpdatedListener);
Reflect.decorate(
  [OnEcwidEvent('order.updated')],
  OrderUpdatedListener.prototype,
  'handle',
  Object.getOwnPropertyDescriptor(OrderUpdatedListener.prototype, 'handle'),
);

class BareController {
  // Answering the body's type lets the smoke check prove the adapter parsed the JSON, as it must for the webhook.
  receive(body) {
    return { outcome: typeof body };
  }
}
Controller(BARE_PATH)(BareController);
Body()(BareController.prototype, 'receive', 0);
Reflect.decorate(
  [Post(), HttpCode(200)],
  BareController.prototype,
  'receive',
  Object.getOwnPropertyDescriptor(BareController.prototype, 'receive'),
);

class BenchModule {}
Module({
  imports: [EcwidModule.forRoot({ storeId: BENCH_STORE_ID, clientSecret: BENCH_CLIENT_SECRET })],
  controllers: [BareController],
  providers: [OrderUpdatedListener],
})(BenchModule);

const wallClockMs = () => performance.timeOrigin + performance.now();
const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

async function main() {
  const adapterName = process.argv[2];
  const createAdapter = ADAPTERS[adapterName];
  if (!createAdapter) {
    throw new Error(`unknown adapter "${adapterName}"; use one of ${Object.keys(ADAPTERS).join(', ')}`);
  }
  const app = await NestFactory.create(BenchModule, createAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();

  // CPU time read on a short timer and stamped with the shared wall clock, so run.js can split it by time slot.
  let cpuSamples = [];
  let sampler;
  process.on('message', async (message) => {
    if (message.type === 'sample-cpu') {
      clearInterval(sampler);
      sampler = setInterval(() => cpuSamples.push([wallClockMs(), cpuMicros()]), message.intervalMs);
    }
    if (message.type === 'stats') {
      process.send({ type: 'stats', emitted, cpu: process.cpuUsage(), cpuSamples });
      cpuSamples = [];
    }
    if (message.type === 'stop') {
      clearInterval(sampler);
      await app.close();
      process.disconnect();
    }
  });
  // An orphaned server would hold the port and a core, so it follows its parent out.
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', port });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

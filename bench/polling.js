'use strict';
// Polling backfill bench: orders/s of a full backfill through the poller (pipeline, SQLite state, a no-op listener)
// under a scaled Ecwid rate limit, against the ceiling that limit allows (100 orders per request) and against bare
// paging of the same window with the same client in the same run. Also 429s received and peak RSS for two sizes,
// to show memory stays flat in the number of orders.
require('reflect-metadata');
const { fork } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { EcwidModule, EcwidOrderPoller, EcwidOrdersService, OnEcwidEvent } = require('../dist');

const SIZES = [20_000, 100_000];
// Ecwid's 600 requests a minute, scaled in time: 30 requests a second keeps a 100,000-order backfill near half a minute.
const REQUESTS_PER_WINDOW = 30;
const WINDOW_MS = 1000;
const ORDERS_PER_REQUEST = 100;
const TARGET_SHARE = 0.9;

let handled = 0;
class NoopListener {
  handle() {
    handled += 1;
  }
}
Injectable()(NoopListener);
Reflect.decorate(
  [OnEcwidEvent(['order.created', 'order.updated'])],
  NoopListener.prototype,
  'handle',
  Object.getOwnPropertyDescriptor(NoopListener.prototype, 'handle'),
);

function startSandbox(orders) {
  const child = fork(join(__dirname, 'polling-sandbox.js'), [String(orders), String(REQUESTS_PER_WINDOW), String(WINDOW_MS)]);
  const ask = (type) =>
    new Promise((resolve) => {
      const onMessage = (message) => {
        if (message.type === type) {
          child.off('message', onMessage);
          resolve(message);
        }
      };
      child.on('message', onMessage);
      if (type !== 'ready') child.send({ type });
    });
  const stop = () =>
    new Promise((resolve) => {
      child.once('exit', resolve);
      child.send({ type: 'stop' });
    });
  return ask('ready').then((ready) => ({ ready, stats: () => ask('stats'), stop }));
}

function peakRss() {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  return () => {
    clearInterval(timer);
    return Math.max(peak, process.memoryUsage.rss());
  };
}

const waitWindow = () => new Promise((resolve) => setTimeout(resolve, WINDOW_MS * 1.5));

async function measure(orders) {
  const sandbox = await startSandbox(orders);
  const dir = mkdtempSync(join(tmpdir(), 'ecwid-bench-'));
  const { storeId, token, apiBaseUrl } = sandbox.ready;
  class BenchModule {}
  Module({
    imports: [
      EcwidModule.forRoot({
        storeId,
        token,
        apiBaseUrl,
        http: { requestsPerMinute: REQUESTS_PER_WINDOW, rateLimitWindowMs: WINDOW_MS },
        polling: { enabled: true, autoStart: false, startFrom: new Date(Date.now() - 3 * 3_600_000) },
        state: { type: 'sqlite', path: join(dir, 'state.db') },
      }),
    ],
    providers: [NoopListener],
  })(BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error', 'warn'] });
  try {
    const from = new Date(Date.now() - 3 * 3_600_000);
    const ordersService = app.get(EcwidOrdersService);
    await sandbox.stats();

    // Baseline: bare paging of the same window through the same client and limiter.
    let started = process.hrtime.bigint();
    let paged = 0;
    for await (const _order of ordersService.iterate({ updatedFrom: from })) paged++;
    const pagingSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const pagingStats = await sandbox.stats();
    await waitWindow();

    handled = 0;
    global.gc?.();
    const stopRss = peakRss();
    started = process.hrtime.bigint();
    const result = await app.get(EcwidOrderPoller).pollNow();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rss = stopRss();
    const pollStats = await sandbox.stats();
    if (result.orders !== orders || handled !== orders) {
      throw new Error(`backfill saw ${result.orders} orders and handled ${handled} events, expected ${orders}`);
    }
    const ceiling = (REQUESTS_PER_WINDOW * ORDERS_PER_REQUEST * 1000) / WINDOW_MS;
    return {
      orders,
      seconds,
      rate: orders / seconds,
      ceiling,
      pagingRate: paged / pagingSeconds,
      tooMany: (pollStats.statuses[429] ?? 0) + (pagingStats.statuses[429] ?? 0),
      requests: pollStats.requests,
      rssMb: rss / 1024 / 1024,
    };
  } finally {
    await app.close();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  console.log(`\nPolling backfill: node ${process.version}, limit ${REQUESTS_PER_WINDOW} requests / ${WINDOW_MS} ms (Ecwid's 600/min scaled in time), SQLite state`);
  const rows = [];
  for (const size of SIZES) rows.push(await measure(size));
  console.log('orders   | seconds | orders/s | share of ceiling | vs bare paging | requests | 429s | peak RSS');
  for (const r of rows) {
    console.log(
      `${String(r.orders).padEnd(8)} | ${r.seconds.toFixed(1).padStart(7)} | ${r.rate.toFixed(0).padStart(8)} | ` +
        `${(100 * r.rate / r.ceiling).toFixed(1).padStart(15)}% | ${(r.rate / r.pagingRate).toFixed(2).padStart(14)} | ` +
        `${String(r.requests).padStart(8)} | ${String(r.tooMany).padStart(4)} | ${r.rssMb.toFixed(0)} MB`,
    );
  }
  const last = rows[rows.length - 1];
  const share = last.rate / last.ceiling;
  const growth = last.rssMb / rows[0].rssMb;
  console.log(`ceiling: ${last.ceiling} orders/s (100 orders x ${REQUESTS_PER_WINDOW} requests per ${WINDOW_MS} ms)`);
  console.log(`share of ceiling at ${last.orders} orders: ${(100 * share).toFixed(1)}% (target >= ${TARGET_SHARE * 100}%): ${share >= TARGET_SHARE ? 'PASS' : 'FAIL'}`);
  console.log(`429s received: ${rows.reduce((n, r) => n + r.tooMany, 0)} (target 0): ${rows.every((r) => r.tooMany === 0) ? 'PASS' : 'FAIL'}`);
  console.log(`peak RSS ${rows[0].orders} -> ${last.orders} orders: x${growth.toFixed(2)} for x${last.orders / rows[0].orders} orders (flat: < x1.5): ${growth < 1.5 ? 'PASS' : 'FAIL'}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

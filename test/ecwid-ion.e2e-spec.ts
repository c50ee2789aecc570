import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import {
  EcwidConfigService,
  EcwidModule,
  EcwidModuleOptions,
  EcwidOrder,
  EcwidOrderEvent,
  EcwidOrderFulfillmentStatusChangedEvent,
  EcwidOrderPaymentStatusChangedEvent,
  EcwidOrdersService,
} from 'nestjs-ecwid';
import { EcwidSandbox } from 'nestjs-ecwid/testing';
// The module does not export the ION route yet; this suite mounts it the way the module will.
import { ADAPTERS, AdapterName, startApp, TestApp } from './support/apps';
import { CapturingLogger } from './support/logger';
import { EventRecorder, HeldListener } from './support/recorder';

type Api = 'legacy' | 'v3';
const ION_PATH = 'ecwid/ion';
const APIS: Api[] = ['legacy', 'v3'];
const CASES = ADAPTERS.flatMap((adapter) => APIS.map((api): [AdapterName, Api] => [adapter, api]));

/** Moved an hour per test: sandbox.reset() hands out the same order numbers again, and ION ids include the date. */
let clock = Date.UTC(2026, 10, 20, 10, 15);
const sandbox = new EcwidSandbox({ now: () => clock });
const ionDate = (): string => new Date(clock).toISOString().slice(0, 19).replace('T', ' ');

beforeAll(() => sandbox.start());
afterAll(() => sandbox.stop());

function optionsFor(api: Api): EcwidModuleOptions {
  const common = {
    storeId: sandbox.storeId,
    apiBaseUrl: sandbox.apiBaseUrl,
    http: { maxRetries: 1, retryBaseDelayMs: 5, retryMaxDelayMs: 10, timeoutMs: 2000 },
    state: { type: 'memory' as const },
    ion: { enabled: true, path: ION_PATH },
  };
  return api === 'legacy' ? { ...common, configuration: { 'ecwid.order.key': sandbox.orderKey } } : { ...common, token: sandbox.token };
}

/** Posts the fields as Ecwid does (a form), or as JSON; answers the status and the parsed body. */
async function postForm(
  url: string,
  fields: Record<string, string>,
  contentType = 'application/x-www-form-urlencoded',
): Promise<{ status: number; body: any }> {
  const body = contentType === 'application/json' ? JSON.stringify(fields) : new URLSearchParams(fields).toString();
  const res = await fetch(`${url}/${ION_PATH}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

describe.each(CASES)('Instant Order Notifications on %s, confirmed through the %s API', (adapter, api) => {
  let t: TestApp;
  let recorder: EventRecorder;
  let held: HeldListener;
  let orders: EcwidOrdersService;
  let ionUrl: string;

  /** How the store names the order in what the service reads back. */
  const idAsRead = (order: EcwidOrder): string => (api === 'legacy' ? String(order.internalId) : order.id);

  const ionFields = (order: EcwidOrder, overrides: Record<string, string> = {}): Record<string, string> => ({
    owner_id: String(sandbox.storeId),
    event_type: 'new_order',
    date: ionDate(),
    order_id: String(order.internalId),
    payment_status: 'QUEUED',
    fulfillment_status: 'NEW',
    ...overrides,
  });

  beforeAll(async () => {
    t = await startApp(adapter, {
      imports: [EcwidModule.forRoot(optionsFor(api))],
      providers: [EventRecorder, HeldListener],
    });
    recorder = t.app.get(EventRecorder);
    held = t.app.get(HeldListener);
    orders = t.app.get(EcwidOrdersService);
    ionUrl = `${t.url}/${ION_PATH}`;
  });
  afterAll(() => t.close());
  beforeEach(() => {
    clock += 3_600_000;
    sandbox.reset();
    sandbox.ionUrl = undefined;
    recorder.events.length = 0;
    recorder.failures = 0;
  });
  // A failed test must not leave a delivery hanging, or closing the app waits for it.
  afterEach(() => held.finish());

  it('emits order.created with source ion for a new order the store confirms, with the order as read', async () => {
    const placed = sandbox.createOrder({ paymentStatus: 'AWAITING_PAYMENT', email: 'ada@example.com' });

    expect(await sandbox.sendIon(ionUrl, placed, 'new_order')).toBe(200);

    expect(recorder.names).toEqual(['ecwid.order.created']);
    const event = recorder.events[0] as EcwidOrderEvent;
    expect(event).toBeInstanceOf(EcwidOrderEvent);
    expect(event).toMatchObject({
      eventType: 'order.created',
      storeId: sandbox.storeId,
      orderId: idAsRead(placed),
      internalId: placed.internalId,
      source: 'ion',
      dataOrigin: 'api',
      newPaymentStatus: 'AWAITING_PAYMENT',
      newFulfillmentStatus: 'AWAITING_PROCESSING',
    });
    expect(event.eventId).toBe(`ion:${placed.internalId}:${placed.createTimestamp}:created`);
    expect(event.order).toMatchObject({ internalId: placed.internalId, email: 'ada@example.com', paymentStatus: 'AWAITING_PAYMENT' });
  });

  it('emits order.updated with the old statuses from the form and the new ones from the store, plus the derived events', async () => {
    const placed = sandbox.createOrder();
    const changed = sandbox.updateOrder(placed.id, { paymentStatus: 'PAID', fulfillmentStatus: 'SHIPPED' });

    const status = await sandbox.sendIon(ionUrl, changed, 'order_status_change', {
      paymentStatus: 'AWAITING_PAYMENT',
      fulfillmentStatus: 'AWAITING_PROCESSING',
    });

    expect(status).toBe(200);
    expect(recorder.names).toEqual([
      'ecwid.order.updated',
      'ecwid.order.paid',
      'ecwid.order.payment_status_changed',
      'ecwid.order.fulfillment_status_changed',
    ]);
    const payment = recorder.events[2] as EcwidOrderPaymentStatusChangedEvent;
    const fulfillment = recorder.events[3] as EcwidOrderFulfillmentStatusChangedEvent;
    expect([payment.from, payment.to]).toEqual(['AWAITING_PAYMENT', 'PAID']);
    expect([fulfillment.from, fulfillment.to]).toEqual(['AWAITING_PROCESSING', 'SHIPPED']);
    expect(recorder.events.every((e) => e.source === 'ion' && e.eventId === recorder.events[0].eventId)).toBe(true);
  });

  it('emits once for an ION Ecwid sends again', async () => {
    const placed = sandbox.createOrder();
    const fields = ionFields(placed);
    expect(await postForm(t.url, fields)).toEqual({ status: 200, body: { outcome: 'emitted' } });
    expect(await postForm(t.url, fields)).toEqual({ status: 200, body: { outcome: 'duplicate' } });
    expect(recorder.names).toEqual(['ecwid.order.created']);
  });

  it('accepts the same fields as JSON', async () => {
    const placed = sandbox.createOrder();
    expect(await postForm(t.url, ionFields(placed), 'application/json')).toEqual({ status: 200, body: { outcome: 'emitted' } });
    expect(recorder.names).toEqual(['ecwid.order.created']);
  });

  it('answers 200 without reading anything or emitting for a store this module does not serve', async () => {
    const placed = sandbox.createOrder();
    sandbox.clearRequests();
    expect(await postForm(t.url, ionFields(placed, { owner_id: String(sandbox.storeId + 1) }))).toEqual({
      status: 200,
      body: { outcome: 'ignored' },
    });
    expect(recorder.events).toHaveLength(0);
    expect(sandbox.requests).toHaveLength(0);
  });

  it('answers 200 and emits nothing for an order the store does not have', async () => {
    expect(await postForm(t.url, ionFields({ id: 'NOPE1', internalId: 499_999_999 }))).toEqual({
      status: 200,
      body: { outcome: 'unconfirmed' },
    });
    expect(recorder.events).toHaveLength(0);
  });

  it('emits a change once however often a post claims it, whatever date or new statuses the unsigned form carries', async () => {
    const placed = sandbox.createOrder({ paymentStatus: 'PAID', fulfillmentStatus: 'SHIPPED' });
    const creations = ['2020-01-01 00:00:00', '2020-01-01 00:00:01', ionDate()].map((date) => ionFields(placed, { date }));
    const change = ionFields(placed, { event_type: 'order_status_change', old_payment_status: 'QUEUED', old_fulfillment_status: 'NEW' });
    const changes = [change, { ...change, payment_status: 'X', fulfillment_status: 'Y' }, { ...change, date: '2021-06-01 12:00:00' }];
    const outcomes = [];
    for (const fields of [...creations, ...changes]) outcomes.push((await postForm(t.url, fields)).body.outcome);
    expect(outcomes).toEqual(['emitted', 'duplicate', 'duplicate', 'emitted', 'duplicate', 'duplicate']);
    expect(recorder.names).toEqual([
      'ecwid.order.created',
      'ecwid.order.paid',
      'ecwid.order.updated',
      'ecwid.order.paid',
      'ecwid.order.payment_status_changed',
      'ecwid.order.fulfillment_status_changed',
    ]);
  });

  it('emits a change once for each kind of change a post claims, whatever old statuses the unsigned form carries', async () => {
    const placed = sandbox.createOrder({ paymentStatus: 'PAID', fulfillmentStatus: 'SHIPPED' });
    const change = (oldPayment: string, oldFulfillment: string) =>
      ionFields(placed, { event_type: 'order_status_change', old_payment_status: oldPayment, old_fulfillment_status: oldFulfillment });
    // Both statuses changed, worded five ways; then only the fulfillment (the payment was already ACCEPTED, i.e. PAID),
    // as an ION Ecwid sends out of order would have it, worded two ways.
    const posts = [
      ...[['QUEUED', 'NEW'], ['DECLINED', 'NEW'], ['CANCELLED', 'PROCESSING'], ['REFUNDED', 'NEW'], ['INCOMPLETE', 'PROCESSING']],
      ...[['ACCEPTED', 'NEW'], ['ACCEPTED', 'PROCESSING']],
    ].map(([payment, fulfillment]) => change(payment, fulfillment));
    const outcomes = [];
    for (const fields of posts) outcomes.push((await postForm(t.url, fields)).body.outcome);
    expect(outcomes).toEqual(['emitted', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'emitted', 'duplicate']);
    expect(recorder.names.filter((name) => name === 'ecwid.order.paid')).toHaveLength(1);
  });

  it('answers 200 unconfirmed, not a 503 for Ecwid to retry for days, to an order_id no order can have here', async () => {
    const orderId = api === 'legacy' ? 'K8XTQ' : 'deleted';
    const placed = sandbox.createOrder();
    sandbox.clearRequests();
    expect(await postForm(t.url, { ...ionFields(placed), order_id: orderId })).toEqual({ status: 200, body: { outcome: 'unconfirmed' } });
    expect(sandbox.requests).toHaveLength(0);
    expect(recorder.events).toHaveLength(0);
  });

  it('emits nothing for a status change the store does not show', async () => {
    const placed = sandbox.createOrder({ paymentStatus: 'AWAITING_PAYMENT', fulfillmentStatus: 'AWAITING_PROCESSING' });
    const forged = ionFields(placed, {
      event_type: 'order_status_change',
      payment_status: 'ACCEPTED',
      old_payment_status: 'QUEUED',
      old_fulfillment_status: 'NEW',
    });
    expect(await postForm(t.url, forged)).toEqual({ status: 200, body: { outcome: 'unconfirmed' } });
    expect(recorder.events).toHaveLength(0);
  });

  it('answers 503 when the order cannot be read, so Ecwid retries, and emits on the retry', async () => {
    const placed = sandbox.createOrder();
    sandbox.injectFault({ status: 500, times: Infinity });
    const fields = ionFields(placed);

    const failed = await postForm(t.url, fields);
    sandbox.clearFaults();

    expect(failed.status).toBe(503);
    expect(recorder.events).toHaveLength(0);
    expect(await postForm(t.url, fields)).toEqual({ status: 200, body: { outcome: 'emitted' } });
    expect(recorder.names).toEqual(['ecwid.order.created']);
  });

  it('answers 409 to an ION sent again while the first is still being handled, and emits on a retry after it failed', async () => {
    const fields = ionFields(sandbox.createOrder());
    held.armed = true;
    const arrived = held.nextCall();
    const first = postForm(t.url, fields);
    await arrived;

    expect((await postForm(t.url, fields)).status).toBe(409);
    held.finish(new Error('held listener failure'));
    expect((await first).status).toBe(500);
    expect(await postForm(t.url, fields)).toEqual({ status: 200, body: { outcome: 'emitted' } });
  });

  it('answers 500 when a listener fails, and emits again when Ecwid retries', async () => {
    const placed = sandbox.createOrder();
    recorder.failures = 1;
    expect((await postForm(t.url, ionFields(placed))).status).toBe(500);
    expect(await postForm(t.url, ionFields(placed))).toEqual({ status: 200, body: { outcome: 'emitted' } });
    expect(recorder.names).toEqual(['ecwid.order.created']);
  });

  it('answers 400 naming what is missing or malformed, and emits nothing', async () => {
    const placed = sandbox.createOrder();
    const { order_id: _orderId, ...withoutOrder } = ionFields(placed);
    const missing = await postForm(t.url, { ...withoutOrder, event_type: 'order_deleted', date: '20.11.2026' });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toEqual([
      'event_type must be new_order or order_status_change',
      'date must be YYYY-MM-DD hh:mm:ss',
      'order_id must be an order id',
    ]);
    expect((await postForm(t.url, {})).status).toBe(400);
    // The right shape, but no moment: a date that would roll over into another.
    for (const date of ['2026-02-30 10:00:00', '2026-11-20 24:00:00', '2020-99-99 99:99:99']) {
      const rolled = await postForm(t.url, ionFields(placed, { date }));
      expect([rolled.status, rolled.body.message]).toEqual([400, ['date must be YYYY-MM-DD hh:mm:ss']]);
    }
    expect(recorder.events).toHaveLength(0);
  });

  it('answers 415 for a body that is neither a form nor JSON', async () => {
    const res = await fetch(`${t.url}/${ION_PATH}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'owner_id=1003' });
    expect(res.status).toBe(415);
  });

  it("turns the sandbox's automatic IONs into events when the service changes a status", async () => {
    sandbox.ionUrl = ionUrl;
    const placed = sandbox.createOrder();
    await sandbox.waitForDeliveries();

    await orders.update(idAsRead(placed), { paymentStatus: 'PAID' });
    await sandbox.waitForDeliveries();

    expect(sandbox.ionDeliveries.map((d) => [d.fields.event_type, d.status])).toEqual([
      ['new_order', 200],
      ['order_status_change', 200],
    ]);
    expect(recorder.names).toEqual([
      'ecwid.order.created',
      'ecwid.order.updated',
      'ecwid.order.paid',
      'ecwid.order.payment_status_changed',
    ]);
  });
});

describe('Instant Order Notifications on express without its body parsers', () => {
  let app: INestApplication;
  let recorder: EventRecorder;

  beforeAll(async () => {
    @Module({
      imports: [EcwidModule.forRoot(optionsFor('legacy'))],
      providers: [EventRecorder],
    })
    class RawBodyModule {}
    app = await NestFactory.create(RawBodyModule, new ExpressAdapter(), { logger: false, bodyParser: false });
    await app.listen(0, '127.0.0.1');
    recorder = app.get(EventRecorder);
  });
  afterAll(() => app.close());

  it('reads the form from the request itself', async () => {
    clock += 3_600_000;
    sandbox.reset();
    const placed = sandbox.createOrder();
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    expect(await sandbox.sendIon(`${url}/${ION_PATH}`, placed, 'new_order')).toBe(200);
    expect(recorder.names).toEqual(['ecwid.order.created']);
  });
});

describe.each(ADAPTERS)('the ION route under a global prefix, on %s', (adapter) => {
  let t: TestApp;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    t = await startApp(adapter, { imports: [EcwidModule.forRoot(optionsFor('legacy'))] }, (app) => {
      app.useLogger(logger);
      app.setGlobalPrefix('api');
    });
  });
  afterAll(() => t.close());

  it('reports the path to set on the store\'s Legacy API page, in ionRoute() and the boot log', () => {
    expect(t.app.get(EcwidConfigService).ionRoute()).toBe('/api/ecwid/ion');
    expect(logger.lines).toContain(`Store ${sandbox.storeId}: Instant Order Notifications are received at POST /api/ecwid/ion EcwidIon`);
  });

  it('answers 413 to a form over 16 KB; Fastify refuses it before parsing', async () => {
    const fields = { owner_id: String(sandbox.storeId), event_type: 'new_order', date: ionDate(), order_id: '1', padding: 'x'.repeat(20_000) };
    const res = await postForm(`${t.url}/api`, fields);
    expect(res.status).toBe(413);
    expect(res.body.message).toBe(adapter === 'fastify' ? 'Request body is too large' : 'Ecwid ION body is over 16384 bytes');
  });

  it('answers 413 to a form over 16 KB streamed without a length', async () => {
    const form = new URLSearchParams({ owner_id: String(sandbox.storeId), event_type: 'new_order', date: ionDate(), order_id: '1' });
    form.set('padding', 'x'.repeat(20_000));
    const { port } = new URL(t.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: `/api/${ION_PATH}`, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        (res) => resolve(res.resume().statusCode ?? 0),
      );
      req.on('error', reject);
      const text = form.toString();
      for (let i = 0; i < text.length; i += 1024) req.write(text.slice(i, i + 1024));
      req.end();
    });
    expect(status).toBe(413);
  });

  it('refuses a compressed form, which Ecwid never sends, so compression cannot carry one past the limit', async () => {
    const form = new URLSearchParams({ owner_id: String(sandbox.storeId), event_type: 'new_order', date: ionDate(), order_id: '1' });
    form.set('padding', 'x'.repeat(60_000));
    const res = await fetch(`${t.url}/api/${ION_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' },
      body: gzipSync(form.toString()),
    });
    expect(res.status).toBe(415);
  });

  it('is not reported when the ION route is off', async () => {
    const off = await startApp(adapter, { imports: [EcwidModule.forRoot({ ...optionsFor('v3'), ion: { enabled: false } })] });
    try {
      expect(off.app.get(EcwidConfigService).ionRoute()).toBeUndefined();
    } finally {
      await off.close();
    }
  });
});

describe('ION beside another source', () => {
  it.each([
    ['webhooks', { clientSecret: 'ion_and_webhooks_secret' }, 'Both webhooks and ION are on'],
    ['webhooks and polling', { clientSecret: 'ion_and_webhooks_secret', polling: { enabled: true, autoStart: false } }, 'webhooks, ION and polling are on'],
  ])('warns at boot that a change Ecwid sends by ION and by %s is emitted by each', async (_, more, expected) => {
    const logger = new CapturingLogger();
    const app = await NestFactory.create(EcwidModule.forRoot({ ...optionsFor('v3'), ...more }), new ExpressAdapter(), { logger });
    try {
      await app.init();
      expect(logger.lines.filter((line) => line.includes('are on:'))).toEqual([
        `${expected}: a change seen by more than one is emitted by each, under different event ids EcwidModule`,
      ]);
    } finally {
      await app.close();
    }
  });
});

describe('ION reads of a slow store', () => {
  it('answers 503 once hydrateTimeoutMs has passed, not after every attempt of the read has timed out', async () => {
    const logger = new CapturingLogger();
    const t = await startApp(
      'express',
      {
        imports: [
          EcwidModule.forRoot({
            ...optionsFor('v3'),
            hydrateTimeoutMs: 300,
            // The read's one attempt may take a minute, past the test's own timeout.
            http: { maxRetries: 0, timeoutMs: 60_000 },
          }),
        ],
      },
      (app) => app.useLogger(logger),
    );
    try {
      clock += 3_600_000;
      sandbox.reset();
      const placed = sandbox.createOrder();
      sandbox.injectFault({ delayMs: 120_000, match: { method: 'GET' } });
      expect(await sandbox.sendIon(`${t.url}/${ION_PATH}`, placed, 'new_order')).toBe(503);
      expect(logger.lines).toContainEqual(expect.stringContaining('no answer within 300 ms'));
    } finally {
      sandbox.reset();
      await t.close();
    }
  });
});

describe('ION reads of the token budget', () => {
  /** New orders in `store`, each announced by an ION to the app at `url` once all exist: the statuses answered. */
  async function ionsForNewOrders(store: EcwidSandbox, url: string, count: number): Promise<number[]> {
    const orders = Array.from({ length: count }, () => store.createOrder());
    store.clearRequests();
    const statuses = [];
    for (const order of orders) statuses.push(await store.sendIon(`${url}/${ION_PATH}`, order, 'new_order'));
    return statuses;
  }

  it("reads orders for at most half the token's requests per window, and answers 503 past that so Ecwid sends again", async () => {
    // A sandbox of its own: a token's limiter is shared by every module using that token, at the smallest limit set.
    const store = await new EcwidSandbox({ token: 'secret_ion_budget_token', now: () => clock }).start();
    const logger = new CapturingLogger();
    const options = { storeId: store.storeId, token: store.token, apiBaseUrl: store.apiBaseUrl, ion: { enabled: true, path: ION_PATH } };
    const t = await startApp('express', { imports: [EcwidModule.forRoot({ ...options, http: { requestsPerMinute: 4 } })] }, (app) =>
      app.useLogger(logger),
    );
    try {
      expect(await ionsForNewOrders(store, t.url, 3)).toEqual([200, 200, 503]);
      expect(store.requests.filter((r) => r.method === 'GET')).toHaveLength(2);
      expect(logger.lines.filter((line) => line.includes('answered 503 unread'))).toHaveLength(1);
    } finally {
      await t.close();
      await store.stop();
    }
  });

  it('takes its half of what the shared limiter allows when another module on the token set a lower limit', async () => {
    const store = await new EcwidSandbox({ token: 'secret_ion_shared_budget_token', now: () => clock }).start();
    const logger = new CapturingLogger();
    const common = { storeId: store.storeId, token: store.token, apiBaseUrl: store.apiBaseUrl };
    // Ten a minute here (five for IONs), four in the other module: the token keeps to four, two of them for IONs.
    const ion = EcwidModule.forRoot({ ...common, http: { requestsPerMinute: 10 }, ion: { enabled: true, path: ION_PATH } });
    const other = EcwidModule.forRoot({ ...common, http: { requestsPerMinute: 4 } });
    const t = await startApp('express', { imports: [ion, other] }, (app) => app.useLogger(logger));
    try {
      expect(await ionsForNewOrders(store, t.url, 3)).toEqual([200, 200, 503]);
      expect(store.requests.filter((r) => r.method === 'GET')).toHaveLength(2);
      expect(logger.lines).toContainEqual(expect.stringContaining('ION reads may use 2 of the token'));
    } finally {
      await t.close();
      await store.stop();
    }
  });
});

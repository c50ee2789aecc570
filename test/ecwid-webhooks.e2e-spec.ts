import { Body, CanActivate, Controller, ExecutionContext, HttpCode, Injectable, Module, Post, RequestMethod, SetMetadata, VersioningType } from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector, RouterModule } from '@nestjs/core';
import { ExpressAdapter, NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  EcwidConfigService,
  EcwidMemoryStateStore,
  EcwidModule,
  EcwidOrderEvent,
  EcwidOrderFulfillmentStatusChangedEvent,
  EcwidOrderPaidEvent,
  EcwidOrderPaymentStatusChangedEvent,
  EcwidUnfinishedOrderEvent,
} from 'nestjs-ecwid';
import { ADAPTERS, startApp, TestApp } from './support/apps';
import { CapturingLogger } from './support/logger';
import { EventRecorder, HeldListener, PlainFailingListener } from './support/recorder';
import { CLIENT_SECRET, deliver, orderWebhook, signatureOf, STORE_ID, TOKEN } from './support/webhooks';

describe.each(ADAPTERS)('webhook receiver on %s', (adapter) => {
  let t: TestApp;
  let recorder: EventRecorder;
  let plain: PlainFailingListener;
  let held: HeldListener;

  beforeAll(async () => {
    t = await startApp(adapter, {
      imports: [EcwidModule.forRoot({ storeId: STORE_ID, clientSecret: CLIENT_SECRET })],
      providers: [EventRecorder, PlainFailingListener, HeldListener],
    });
    recorder = t.app.get(EventRecorder);
    plain = t.app.get(PlainFailingListener);
    held = t.app.get(HeldListener);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    recorder.events.length = 0;
    recorder.failures = 0;
    held.calls = 0;
  });
  // A failed test must not leave a delivery hanging, or closing the app waits for it.
  afterEach(() => held.finish());

  it('answers exactly 200 to a valid delivery and emits a typed order event', async () => {
    const payload = orderWebhook('order.created', { newPaymentStatus: 'AWAITING_PAYMENT', newFulfillmentStatus: 'AWAITING_PROCESSING' });
    const res = await deliver(t.url, payload);
    expect(res).toEqual({ status: 200, body: { outcome: 'emitted' } });
    expect(recorder.names).toEqual(['ecwid.order.created']);
    const event = recorder.events[0] as EcwidOrderEvent;
    expect(event).toBeInstanceOf(EcwidOrderEvent);
    expect(event).toMatchObject({
      eventId: payload.eventId,
      eventType: 'order.created',
      storeId: STORE_ID,
      orderId: (payload.data as { orderId: string }).orderId,
      internalId: payload.entityId,
      source: 'webhook',
      dataOrigin: 'notification',
      newPaymentStatus: 'AWAITING_PAYMENT',
    });
    expect(event.occurredAt).toEqual(new Date(payload.eventCreated * 1000));
    expect(event.order).toBeUndefined();
  });

  it('derives paid and status-change events from an update', async () => {
    const payload = orderWebhook('order.updated', {
      oldPaymentStatus: 'AWAITING_PAYMENT',
      newPaymentStatus: 'PAID',
      oldFulfillmentStatus: 'PROCESSING',
      newFulfillmentStatus: 'SHIPPED',
    });
    expect((await deliver(t.url, payload)).status).toBe(200);
    expect(recorder.names).toEqual([
      'ecwid.order.updated',
      'ecwid.order.paid',
      'ecwid.order.payment_status_changed',
      'ecwid.order.fulfillment_status_changed',
    ]);
    expect(recorder.events[1]).toBeInstanceOf(EcwidOrderPaidEvent);
    const payment = recorder.events[2] as EcwidOrderPaymentStatusChangedEvent;
    expect([payment.from, payment.to]).toEqual(['AWAITING_PAYMENT', 'PAID']);
    const fulfillment = recorder.events[3] as EcwidOrderFulfillmentStatusChangedEvent;
    expect([fulfillment.from, fulfillment.to]).toEqual(['PROCESSING', 'SHIPPED']);
    expect(new Set(recorder.events.map((e) => e.eventId))).toEqual(new Set([payload.eventId]));
  });

  it('emits order.paid for an order created as paid, and no change events for an unchanged update', async () => {
    await deliver(t.url, orderWebhook('order.created', { newPaymentStatus: 'PAID', newFulfillmentStatus: 'AWAITING_PROCESSING' }));
    await deliver(
      t.url,
      orderWebhook('order.updated', {
        oldPaymentStatus: 'PAID',
        newPaymentStatus: 'PAID',
        oldFulfillmentStatus: 'SHIPPED',
        newFulfillmentStatus: 'SHIPPED',
      }),
    );
    expect(recorder.names).toEqual(['ecwid.order.created', 'ecwid.order.paid', 'ecwid.order.updated']);
  });

  it('emits every event group under ecwid.<eventType>', async () => {
    const types = ['unfinished_order.created', 'product.updated', 'customer.created', 'category.deleted', 'application.installed', 'profile.updated', 'review.created'];
    for (const eventType of types) {
      const res = await deliver(t.url, orderWebhook(eventType, { cartId: 'C1' }, { entityId: 77 }));
      expect(res.status).toBe(200);
    }
    expect(recorder.names).toEqual(types.map((type) => `ecwid.${type}`));
    expect(recorder.events[0]).toBeInstanceOf(EcwidUnfinishedOrderEvent);
    expect((recorder.events[0] as EcwidUnfinishedOrderEvent).cartId).toBe('C1');
  });

  it('rejects a missing signature with 401 and emits nothing', async () => {
    const res = await deliver(t.url, orderWebhook('order.created'), { signature: null });
    expect(res.status).toBe(401);
    expect(recorder.events).toHaveLength(0);
  });

  it('rejects a wrong signature with 401 and emits nothing', async () => {
    const payload = orderWebhook('order.created');
    for (const signature of [signatureOf(payload, 'another_secret'), 'short', signatureOf({ ...payload, eventCreated: payload.eventCreated + 1 })]) {
      expect((await deliver(t.url, payload, { signature })).status).toBe(401);
    }
    expect(recorder.events).toHaveLength(0);
  });

  it('answers 400 to a body that is not JSON or lacks required fields', async () => {
    const payload = orderWebhook('order.created');
    expect((await deliver(t.url, payload, { body: '{"eventId": ' })).status).toBe(400);
    for (const field of ['eventId', 'eventType', 'eventCreated', 'storeId']) {
      const broken: Record<string, unknown> = { ...payload };
      delete broken[field];
      const res = await deliver(t.url, broken, { signature: signatureOf(payload) });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(field);
    }
    expect((await deliver(t.url, { ...payload, eventType: 'order.*' })).status).toBe(400);
    expect(recorder.events).toHaveLength(0);
  });

  it('answers 413 to a body over the limit', async () => {
    const payload = orderWebhook('order.created', { padding: 'x'.repeat(70 * 1024) });
    expect((await deliver(t.url, payload)).status).toBe(413);
    expect(recorder.events).toHaveLength(0);
  });

  it('acknowledges a duplicate with 200 and does not emit it again', async () => {
    const payload = orderWebhook('order.deleted');
    const first = await deliver(t.url, payload);
    const second = await deliver(t.url, payload);
    expect([first.body, second.body]).toEqual([{ outcome: 'emitted' }, { outcome: 'duplicate' }]);
    expect(second.status).toBe(200);
    expect(recorder.names).toEqual(['ecwid.order.deleted']);
  });

  it('ignores an event for another store with 200', async () => {
    const res = await deliver(t.url, orderWebhook('order.created', {}, { storeId: 999 }));
    expect(res).toEqual({ status: 200, body: { outcome: 'ignored' } });
    expect(recorder.events).toHaveLength(0);
  });

  it('answers 500 when an @OnEcwidEvent handler throws, and handles the redelivery', async () => {
    const payload = orderWebhook('order.created');
    recorder.failures = 1;
    expect((await deliver(t.url, payload)).status).toBe(500);
    expect(recorder.events).toHaveLength(0);
    expect(await deliver(t.url, payload)).toEqual({ status: 200, body: { outcome: 'emitted' } });
    expect(recorder.names).toEqual(['ecwid.order.created']);
  });

  // Ecwid counts a 200 as delivered for good. A redelivery answered 200 while the first is still being handled would
  // lose the event if the first then failed.
  it.each([
    ['fails', 'emitted', new Error('held listener failure'), 500],
    ['succeeds', 'duplicate', undefined, 200],
  ] as const)(
    'answers 409 to a redelivery while the first is still being handled; after the first %s, the next is %s',
    async (_outcome, nextOutcome, failure, firstStatus) => {
      const payload = orderWebhook('customer.updated');
      held.armed = true;
      const arrived = held.nextCall();
      const first = deliver(t.url, payload);
      await arrived;

      const again = await deliver(t.url, payload);
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ message: expect.stringContaining('still being handled') });
      expect(held.calls).toBe(1);

      held.finish(failure);
      expect((await first).status).toBe(firstStatus);
      expect(await deliver(t.url, payload)).toEqual({ status: 200, body: { outcome: nextOutcome } });
      expect(held.calls).toBe(nextOutcome === 'emitted' ? 2 : 1);
    },
  );

  it('answers 200 when a plain @OnEvent handler throws: Nest suppresses its error', async () => {
    const before = plain.calls;
    expect((await deliver(t.url, orderWebhook('order.deleted'))).status).toBe(200);
    expect(plain.calls).toBe(before + 1);
  });

  it('does not serve GET on the webhook path', async () => {
    const res = await fetch(`${t.url}/ecwid/webhooks`);
    expect(res.status).toBe(404);
  });
});

describe.each(ADAPTERS)('webhook routing on %s', (adapter) => {
  it('serves below the global prefix and reports the route to register with Ecwid', async () => {
    const t = await startApp(
      adapter,
      { imports: [EcwidModule.forRoot({ storeId: STORE_ID, clientSecret: CLIENT_SECRET, webhooks: { path: '/hooks/ecwid/' } })], providers: [EventRecorder] },
      (app) => app.setGlobalPrefix('api'),
    );
    try {
      expect(t.app.get(EcwidConfigService).webhookRoute()).toBe('/api/hooks/ecwid');
      expect((await deliver(t.url, orderWebhook('order.created'), { path: 'api/hooks/ecwid' })).status).toBe(200);
      expect((await deliver(t.url, orderWebhook('order.created'), { path: 'ecwid/webhooks' })).status).toBe(404);
      expect(t.app.get(EventRecorder).names).toEqual(['ecwid.order.created']);
    } finally {
      await t.close();
    }
  });

  it.each([
    ['URI', { type: VersioningType.URI, defaultVersion: '1' }],
    ['header', { type: VersioningType.HEADER, header: 'X-API-Version', defaultVersion: '1' }],
    ['media type', { type: VersioningType.MEDIA_TYPE, key: 'v=', defaultVersion: '1' }],
  ] as const)('stays where it reports when the host versions its API by %s', async (_, versioning) => {
    const t = await startApp(
      adapter,
      {
        imports: [
          EcwidModule.forRoot({
            storeId: STORE_ID,
            clientSecret: CLIENT_SECRET,
            token: TOKEN,
            ion: { enabled: true, path: 'ecwid/ion' },
          }),
        ],
        providers: [EventRecorder],
      },
      (app) => app.enableVersioning(versioning),
    );
    try {
      // Ecwid posts to the URL it was given, with no version in it.
      expect(t.app.get(EcwidConfigService).webhookRoute()).toBe('/ecwid/webhooks');
      expect(await deliver(t.url, orderWebhook('order.created'))).toEqual({ status: 200, body: { outcome: 'emitted' } });
      expect(t.app.get(EventRecorder).names).toEqual(['ecwid.order.created']);
      // The ION route is there too: an empty notification is refused by the route, not missed by the router.
      const ion = await fetch(`${t.url}/ecwid/ion`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(ion.status).toBe(400);
    } finally {
      await t.close();
    }
  });

  it.each([
    ['the path', ['hooks/ecwid'], '/hooks/ecwid'],
    ['the path for POST', [{ path: 'hooks/ecwid', method: RequestMethod.POST }], '/hooks/ecwid'],
    ['a pattern', ['hooks/*rest'], '/hooks/ecwid'],
    ['the path for GET only', [{ path: 'hooks/ecwid', method: RequestMethod.GET }], '/api/hooks/ecwid'],
  ])('reports where it is served when the global prefix excludes %s', async (_, exclude, route) => {
    const t = await startApp(
      adapter,
      { imports: [EcwidModule.forRoot({ storeId: STORE_ID, clientSecret: CLIENT_SECRET, webhooks: { path: 'hooks/ecwid' } })], providers: [EventRecorder] },
      (app) => app.setGlobalPrefix('api', { exclude }),
    );
    try {
      expect(t.app.get(EcwidConfigService).webhookRoute()).toBe(route);
      expect((await deliver(t.url, orderWebhook('order.created'), { path: route.slice(1) })).status).toBe(200);
      expect(t.app.get(EventRecorder).names).toEqual(['ecwid.order.created']);
    } finally {
      await t.close();
    }
  });

  it.each([
    ['', undefined, '/integrations/ecwid/webhooks'],
    [' below the global prefix', 'api', '/api/integrations/ecwid/webhooks'],
  ])('reports where it is served when RouterModule puts the module under a path%s', async (_, prefix, route) => {
    const t = await startApp(
      adapter,
      {
        imports: [
          EcwidModule.forRoot({ storeId: STORE_ID, clientSecret: CLIENT_SECRET }),
          RouterModule.register([{ path: 'integrations', module: EcwidModule }]),
        ],
        providers: [EventRecorder],
      },
      (app) => prefix && app.setGlobalPrefix(prefix),
    );
    try {
      expect(t.app.get(EcwidConfigService).webhookRoute()).toBe(route);
      expect((await deliver(t.url, orderWebhook('order.created'), { path: route.slice(1) })).status).toBe(200);
      expect(t.app.get(EventRecorder).names).toEqual(['ecwid.order.created']);
    } finally {
      await t.close();
    }
  });

  it('refuses to start when two module instances would share one webhook path', async () => {
    @Module({ imports: [EcwidModule.forRoot({ storeId: 1, clientSecret: 'shared-secret' })] })
    class StoreOne {}
    @Module({ imports: [EcwidModule.forRoot({ storeId: 2, clientSecret: 'shared-secret' })] })
    class StoreTwo {}
    // Express would let store 1's route answer store 2's deliveries as another store's; Fastify would refuse the
    // second route with its own message. Both get the module's, which names the option and the stores.
    await expect(startApp(adapter, { imports: [StoreOne, StoreTwo] })).rejects.toThrow(
      /webhooks\.path: stores 1, 2 all receive POSTs at "ecwid\/webhooks"/,
    );
  });

  it('refuses to start when two module instances would share one ION path', async () => {
    const store = (storeId: number, path: string) =>
      EcwidModule.forRoot({ storeId, token: TOKEN, clientSecret: CLIENT_SECRET, webhooks: { path }, ion: { enabled: true } });
    @Module({ imports: [store(1, 'hooks/one')] })
    class StoreOne {}
    @Module({ imports: [store(2, 'hooks/two')] })
    class StoreTwo {}
    await expect(startApp(adapter, { imports: [StoreOne, StoreTwo] })).rejects.toThrow(/ion\.path: stores 1, 2 all receive POSTs at "ecwid\/ion"/);
  });

  it("hands an event to the module serving its store when one Ecwid app's deliveries reach another store's route", async () => {
    const store = (storeId: number, clientSecret: string, path: string) => EcwidModule.forRoot({ storeId, clientSecret, webhooks: { path } });
    @Module({ imports: [store(1, 'shared-secret', 'hooks/one')] })
    class StoreOne {}
    @Module({ imports: [store(2, 'shared-secret', 'hooks/two')] })
    class StoreTwo {}
    @Module({ imports: [store(3, 'secret-three', 'hooks/three')] })
    class StoreThree {}
    const t = await startApp(adapter, { imports: [StoreOne, StoreTwo, StoreThree], providers: [EventRecorder] });
    try {
      const signed = (storeId: number) => {
        const payload = orderWebhook('order.created', {}, { storeId });
        return { payload, signature: signatureOf(payload, 'shared-secret') };
      };
      const two = signed(2);
      expect(await deliver(t.url, two.payload, { path: 'hooks/one', signature: two.signature })).toEqual({ status: 200, body: { outcome: 'emitted' } });
      // The same delivery at store 2's own route is a duplicate.
      expect(await deliver(t.url, two.payload, { path: 'hooks/two', signature: two.signature })).toEqual({ status: 200, body: { outcome: 'duplicate' } });
      // The store id is not signed: a captured copy sent again as store 1's event, at either route, is the same event.
      for (const path of ['hooks/one', 'hooks/two']) {
        const copy = { ...two.payload, storeId: 1, data: { orderId: 'FORGED' } };
        expect(await deliver(t.url, copy, { path, signature: two.signature })).toEqual({ status: 200, body: { outcome: 'duplicate' } });
      }
      // Store 3 belongs to another Ecwid app (another secret), and store 4 to no module here.
      for (const storeId of [3, 4]) {
        const other = signed(storeId);
        expect(await deliver(t.url, other.payload, { path: 'hooks/one', signature: other.signature })).toEqual({
          status: 200,
          body: { outcome: 'ignored' },
        });
      }
      expect(t.app.get(EventRecorder).events.map((event) => [event.name, event.storeId])).toEqual([['ecwid.order.created', 2]]);
    } finally {
      await t.close();
    }
  });

  it("keeps each store's events in its own dedup store, so replicas sharing one store's state dedupe its redeliveries", async () => {
    // Store 2 keeps its state where both replicas see it (Redis, say); store 1 keeps its own in each replica's memory.
    const shared = new EcwidMemoryStateStore();
    const replica = () => {
      @Module({ imports: [EcwidModule.forRoot({ storeId: 1, clientSecret: 'shared-secret', webhooks: { path: 'hooks/one' } })] })
      class StoreOne {}
      @Module({ imports: [EcwidModule.forRoot({ storeId: 2, clientSecret: 'shared-secret', webhooks: { path: 'hooks/two' }, state: shared })] })
      class StoreTwo {}
      return startApp(adapter, { imports: [StoreOne, StoreTwo] });
    };
    const replicas = [await replica(), await replica()];
    try {
      const payload = orderWebhook('order.created', {}, { storeId: 2 });
      const signature = signatureOf(payload, 'shared-secret');
      expect(await deliver(replicas[0].url, payload, { path: 'hooks/one', signature })).toEqual({ status: 200, body: { outcome: 'emitted' } });
      // Ecwid's retry reaches the other replica.
      expect(await deliver(replicas[1].url, payload, { path: 'hooks/one', signature })).toEqual({ status: 200, body: { outcome: 'duplicate' } });
    } finally {
      for (const r of replicas) await r.close();
    }
  });

  it('handles an event once when two module instances of one store take its webhooks on two paths', async () => {
    // An app moving its webhook URL, say: Ecwid may still deliver to the old path while the new one is live.
    const route = (path: string) => EcwidModule.forRoot({ storeId: STORE_ID, clientSecret: CLIENT_SECRET, webhooks: { path } });
    @Module({ imports: [route('hooks/old')] })
    class OldPath {}
    @Module({ imports: [route('hooks/new')] })
    class NewPath {}
    const t = await startApp(adapter, { imports: [OldPath, NewPath], providers: [EventRecorder, HeldListener] });
    try {
      const payload = orderWebhook('order.created');
      expect(await deliver(t.url, payload, { path: 'hooks/old' })).toEqual({ status: 200, body: { outcome: 'emitted' } });
      expect(await deliver(t.url, payload, { path: 'hooks/new' })).toEqual({ status: 200, body: { outcome: 'duplicate' } });
      expect(t.app.get(EventRecorder).events.map((event) => event.eventId)).toEqual([payload.eventId]);

      // A retry at the new path while the old one still handles the event is a 409, as on one path: answered 200, it
      // would be Ecwid's last word on an event whose first delivery may yet fail.
      const held = t.app.get(HeldListener);
      held.armed = true;
      const another = orderWebhook('order.created');
      const arrived = held.nextCall();
      const first = deliver(t.url, another, { path: 'hooks/old' });
      await arrived;
      expect((await deliver(t.url, another, { path: 'hooks/new' })).status).toBe(409);
      held.finish(new Error('held listener failure'));
      expect((await first).status).toBe(500);
      expect(await deliver(t.url, another, { path: 'hooks/new' })).toEqual({ status: 200, body: { outcome: 'emitted' } });
    } finally {
      await t.close();
    }
  });

  it('asks the other stores of an Ecwid app without using their dedup room, and dedupes copies sent at once', async () => {
    const store = (storeId: number, path: string) =>
      EcwidModule.forRoot({ storeId, clientSecret: 'shared-secret', webhooks: { path, dedupMaxEntries: 3 } });
    @Module({ imports: [store(1, 'hooks/one')] })
    class StoreOne {}
    @Module({ imports: [store(2, 'hooks/two')] })
    class StoreTwo {}
    const t = await startApp(adapter, { imports: [StoreOne, StoreTwo], providers: [EventRecorder] });
    try {
      const signed = (storeId: number) => {
        const payload = orderWebhook('order.created', {}, { storeId });
        return { payload, signature: signatureOf(payload, 'shared-secret') };
      };
      const one = signed(1);
      expect((await deliver(t.url, one.payload, { path: 'hooks/one', signature: one.signature })).status).toBe(200);
      // Three of store 2's: store 1's dedup store, room for three ids, is asked about each and keeps its own.
      for (let i = 0; i < 3; i += 1) {
        const two = signed(2);
        expect((await deliver(t.url, two.payload, { path: 'hooks/two', signature: two.signature })).status).toBe(200);
      }
      expect(await deliver(t.url, one.payload, { path: 'hooks/one', signature: one.signature })).toEqual({ status: 200, body: { outcome: 'duplicate' } });

      // Copies of one event sent at the same moment under both store ids: at most one is emitted.
      const recorder = t.app.get(EventRecorder);
      recorder.events.length = 0;
      const copies = Array.from({ length: 10 }, () => signed(1));
      await Promise.all(
        copies.flatMap(({ payload, signature }) => [
          deliver(t.url, payload, { path: 'hooks/one', signature }),
          deliver(t.url, { ...payload, storeId: 2 }, { path: 'hooks/one', signature }),
        ]),
      );
      const emitted = recorder.events.map((event) => event.eventId);
      expect(emitted.filter((id, i) => emitted.indexOf(id) !== i)).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it("refuses to start when one module's webhook and ION routes share a path", async () => {
    const options = { storeId: 1, token: TOKEN, clientSecret: CLIENT_SECRET, webhooks: { path: 'ecwid/hooks' }, ion: { enabled: true, path: 'ecwid/hooks' } };
    await expect(startApp(adapter, { imports: [EcwidModule.forRoot(options)] })).rejects.toThrow(
      /ion\.path: is "ecwid\/hooks", as is webhooks\.path; give each route its own path/,
    );
  });

  it('lets two stores without a client secret share an app: neither takes webhooks, so neither claims the path', async () => {
    @Module({ imports: [EcwidModule.forRoot({ storeId: 1, token: TOKEN })] })
    class StoreOne {}
    // "false" as an instance JSON or an environment variable gives it: off for the route as for the config.
    @Module({ imports: [EcwidModule.forRoot({ storeId: 2, token: TOKEN, clientSecret: 'secret-two', webhooks: { enabled: 'false' as unknown as boolean } })] })
    class StoreTwo {}
    const t = await startApp(adapter, { imports: [StoreOne, StoreTwo] });
    try {
      const payload = orderWebhook('order.created', {}, { storeId: 2 });
      expect((await deliver(t.url, payload, { signature: signatureOf(payload, 'secret-two') })).status).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('counts paths that differ only in case as one, since Express matches them alike', async () => {
    @Module({ imports: [EcwidModule.forRoot({ storeId: 1, clientSecret: 'secret-one', webhooks: { path: 'Ecwid/Hooks' } })] })
    class StoreOne {}
    @Module({ imports: [EcwidModule.forRoot({ storeId: 2, clientSecret: 'secret-two', webhooks: { path: 'ecwid/hooks' } })] })
    class StoreTwo {}
    await expect(startApp(adapter, { imports: [StoreOne, StoreTwo] })).rejects.toThrow(/webhooks\.path: stores 1, 2 all receive POSTs/);
  });

  it('refuses an ION path with a parameter or a wildcard before any route is registered', async () => {
    await expect(
      startApp(adapter, { imports: [EcwidModule.forRoot({ storeId: 1, token: TOKEN, ion: { enabled: true, path: 'ion/:store' } })] }),
    ).rejects.toThrow(/ion\.path: must be a plain path/);
    await expect(
      startApp(adapter, {
        imports: [EcwidModule.forRootAsync({ useFactory: () => ({ storeId: 1, token: TOKEN }), ion: { enabled: true, path: 'ion/*' } })],
      }),
    ).rejects.toThrow(/ion\.path: must be a plain path/);
  });

  it('lets two module instances serve two stores on two paths', async () => {
    @Module({ imports: [EcwidModule.forRoot({ storeId: 1, clientSecret: 'secret-one', webhooks: { path: 'one' } })] })
    class StoreOne {}
    @Module({ imports: [EcwidModule.forRoot({ storeId: 2, clientSecret: 'secret-two', webhooks: { path: 'two' } })] })
    class StoreTwo {}
    const t = await startApp(adapter, { imports: [StoreOne, StoreTwo], providers: [EventRecorder] });
    try {
      const one = orderWebhook('order.created', {}, { storeId: 1 });
      const two = orderWebhook('order.created', {}, { storeId: 2 });
      expect((await deliver(t.url, one, { path: 'one', signature: signatureOf(one, 'secret-one') })).status).toBe(200);
      expect((await deliver(t.url, two, { path: 'two', signature: signatureOf(two, 'secret-two') })).status).toBe(200);
      expect((await deliver(t.url, two, { path: 'one', signature: signatureOf(two, 'secret-two') })).status).toBe(401);
      expect(t.app.get(EventRecorder).events.map((e) => e.storeId)).toEqual([1, 2]);
    } finally {
      await t.close();
    }
  });

  it('registers no route when webhooks are disabled', async () => {
    const t = await startApp(adapter, {
      imports: [EcwidModule.forRoot({ storeId: STORE_ID, clientSecret: CLIENT_SECRET, webhooks: { enabled: false } })],
    });
    try {
      expect((await deliver(t.url, orderWebhook('order.created'))).status).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('answers 404 when no client secret is configured, since nothing could be verified', async () => {
    const t = await startApp(adapter, { imports: [EcwidModule.forRoot({ storeId: STORE_ID, token: 'secret_x' })] });
    try {
      expect((await deliver(t.url, orderWebhook('order.created'))).status).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('applies the decorators option to the controller, so a global guard can let the route through', async () => {
    const PUBLIC = 'test:public';
    @Injectable()
    class DenyUnlessPublic implements CanActivate {
      constructor(private readonly reflector: Reflector) {}
      canActivate(context: ExecutionContext): boolean {
        return this.reflector.getAllAndOverride<boolean>(PUBLIC, [context.getHandler(), context.getClass()]) === true;
      }
    }
    @Controller('other')
    class OtherController {
      @Post()
      post(): string {
        return 'ok';
      }
    }
    const t = await startApp(adapter, {
      imports: [EcwidModule.forRoot({ storeId: STORE_ID, clientSecret: CLIENT_SECRET, webhooks: { decorators: [SetMetadata(PUBLIC, true)] } })],
      controllers: [OtherController],
      providers: [EventRecorder, { provide: APP_GUARD, useClass: DenyUnlessPublic }],
    });
    try {
      expect((await fetch(`${t.url}/other`, { method: 'POST' })).status).toBe(403);
      expect((await deliver(t.url, orderWebhook('order.created'))).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe.each(ADAPTERS)('a webhook body the host left as text or bytes, on %s', (adapter) => {
  let t: TestApp;
  let recorder: EventRecorder;

  beforeAll(async () => {
    t = await startApp(
      adapter,
      { imports: [EcwidModule.forRoot({ storeId: STORE_ID, clientSecret: CLIENT_SECRET })], providers: [EventRecorder] },
      // A host that keeps every body as bytes (to check signatures of its own, say). Fastify parses text/plain as text.
      (app) => adapter === 'express' && (app as NestExpressApplication).useBodyParser('raw', { type: '*/*' }),
    );
    recorder = t.app.get(EventRecorder);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    recorder.events.length = 0;
  });

  const contentType = adapter === 'express' ? 'application/json; charset=UTF-8' : 'text/plain; charset=UTF-8';

  it('reads it as JSON and emits', async () => {
    const payload = orderWebhook('order.created');
    const res = await deliver(t.url, payload, { headers: { 'content-type': contentType } });
    expect(res).toEqual({ status: 200, body: { outcome: 'emitted' } });
    expect(recorder.events.map((e) => e.eventId)).toEqual([payload.eventId]);
  });

  it('answers 400 to a JSON string holding a delivery, rather than decode it twice', async () => {
    const payload = orderWebhook('order.created');
    const res = await deliver(t.url, payload, { body: JSON.stringify(JSON.stringify(payload)) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ message: ['the body must be a JSON object'] });
    expect(recorder.events).toHaveLength(0);
  });

  it('answers 400 to a JSON string holding a delivery sent in chunks, without Content-Length', async () => {
    const payload = orderWebhook('order.created');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: new URL(t.url).port,
          path: '/ecwid/webhooks',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'x-ecwid-webhook-signature': signatureOf(payload) },
        },
        (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0)),
      );
      req.on('error', reject);
      req.end(JSON.stringify(JSON.stringify(payload)));
    });
    expect(status).toBe(400);
    expect(recorder.events).toHaveLength(0);
  });

  it('answers 400 when it is not JSON', async () => {
    const res = await deliver(t.url, orderWebhook('order.created'), { body: '{"eventId":', headers: { 'content-type': contentType } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ message: 'Ecwid webhook body is not JSON' });
    expect(recorder.events).toHaveLength(0);
  });
});

/** For a host whose parser left the body as text: a delivery is emitted once, and a JSON string holding one gets 400. */
async function expectReadAsJsonOnce(t: TestApp, recorder: EventRecorder): Promise<void> {
  const payload = orderWebhook('order.created');
  expect(await deliver(t.url, payload)).toEqual({ status: 200, body: { outcome: 'emitted' } });
  const twice = orderWebhook('order.created');
  const res = await deliver(t.url, twice, { body: JSON.stringify(JSON.stringify(twice)) });
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ message: ['the body must be a JSON object'] });
  expect(recorder.events.map((e) => e.eventId)).toEqual([payload.eventId]);
}

describe('a webhook body a host text parser left as text under its JSON content type, on express', () => {
  let t: TestApp;
  let recorder: EventRecorder;

  beforeAll(async () => {
    t = await startApp(
      'express',
      { imports: [EcwidModule.forRoot({ storeId: STORE_ID, clientSecret: CLIENT_SECRET })], providers: [EventRecorder] },
      (app) => (app as NestExpressApplication).useBodyParser('text', { type: '*/*' }),
    );
    recorder = t.app.get(EventRecorder);
  });
  afterAll(() => t.close());

  it('reads it as JSON once: a delivery is emitted, and a JSON string holding one gets 400', () => expectReadAsJsonOnce(t, recorder));
});

describe('a webhook body a host JSON parser kept as text, on fastify', () => {
  let t: TestApp;
  let recorder: EventRecorder;

  beforeAll(async () => {
    @Module({ imports: [EcwidModule.forRoot({ storeId: STORE_ID, clientSecret: CLIENT_SECRET })], providers: [EventRecorder] })
    class HostModule {}
    // A host that takes JSON bodies as text (to check other senders' signatures over the bytes, say).
    const app = await NestFactory.create<NestFastifyApplication>(HostModule, new FastifyAdapter(), { bodyParser: false, logger: false });
    app.getHttpAdapter().getInstance().addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    await app.listen(0, '127.0.0.1');
    t = { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), close: () => app.close() };
    recorder = t.app.get(EventRecorder);
  });
  afterAll(() => t.close());

  it('reads it as JSON once: a delivery is emitted, and a JSON string holding one gets 400', () => expectReadAsJsonOnce(t, recorder));
});

describe.each(ADAPTERS)('a delivery of an event older than the dedup window, on %s', (adapter) => {
  const MAX_AGE_SECONDS = 90_000;
  let now = Date.now();
  let t: TestApp;
  let recorder: EventRecorder;
  const logger = new CapturingLogger();
  const createdAgo = (seconds: number) => orderWebhook('order.created', {}, { eventCreated: Math.floor(now / 1000) - seconds });
  const refusals = () => logger.lines.filter((line) => line.startsWith('Refused'));

  beforeAll(async () => {
    t = await startApp(
      adapter,
      {
        imports: [
          EcwidModule.forRoot({
            storeId: STORE_ID,
            clientSecret: CLIENT_SECRET,
            webhooks: { maxEventAgeSeconds: MAX_AGE_SECONDS },
            clock: () => now,
          }),
        ],
        providers: [EventRecorder],
      },
      (app) => app.useLogger(logger),
    );
    recorder = t.app.get(EventRecorder);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    recorder.events.length = 0;
    logger.lines.length = 0;
  });

  it('is refused with 400 and not emitted: past the window, dedup could not tell a replay', async () => {
    const res = await deliver(t.url, createdAgo(MAX_AGE_SECONDS + 60));
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('over webhooks.maxEventAgeSeconds (90000 s) ago: refused as a possible replay');
    expect(recorder.events).toHaveLength(0);
    // Just inside the window it is an ordinary (late) retry.
    expect(await deliver(t.url, createdAgo(MAX_AGE_SECONDS - 60))).toEqual({ status: 200, body: { outcome: 'emitted' } });
    expect(recorder.names).toEqual(['ecwid.order.created']);
  });

  it('checks the signature first, so an unsigned one gets 401 and tells nothing of its age', async () => {
    const payload = createdAgo(MAX_AGE_SECONDS + 60);
    expect((await deliver(t.url, payload, { signature: signatureOf(payload, 'another_secret') })).status).toBe(401);
    expect(refusals()).toEqual([]);
  });

  it('logs refusals at most once a minute, with how many there were', async () => {
    now += 120_000;
    const first = createdAgo(MAX_AGE_SECONDS + 1);
    expect((await deliver(t.url, first)).status).toBe(400);
    expect(refusals()).toEqual([expect.stringContaining(`Refused a webhook delivery of an event created over webhooks.maxEventAgeSeconds (90000 s) ago (the latest: order.created ${first.eventId}`)]);
    expect((await deliver(t.url, createdAgo(MAX_AGE_SECONDS + 1))).status).toBe(400);
    expect(refusals()).toHaveLength(1);
    now += 61_000;
    expect((await deliver(t.url, createdAgo(MAX_AGE_SECONDS + 1))).status).toBe(400);
    expect(refusals()).toHaveLength(2);
    expect(refusals()[1]).toMatch(/^Refused 2 webhook deliveries .*: a replay of an old delivery, or this server's clock is wrong/);
  });

  it('is not recorded, so once a clock that ran ahead is put right, the retry is handled', async () => {
    const payload = createdAgo(MAX_AGE_SECONDS + 3600);
    expect((await deliver(t.url, payload)).status).toBe(400);
    now -= 2 * 3600 * 1000;
    expect(await deliver(t.url, payload)).toEqual({ status: 200, body: { outcome: 'emitted' } });
    expect(recorder.events.map((event) => event.eventId)).toEqual([payload.eventId]);
  });
});

describe.each(ADAPTERS)('the webhook route\'s body limit on %s', (adapter) => {
  const LIMIT = 1024;
  @Controller('other')
  class OtherController {
    @Post()
    @HttpCode(200)
    receive(@Body() body: { padding?: string }) {
      return { length: body.padding?.length };
    }
  }
  let t: TestApp;
  let recorder: EventRecorder;

  beforeAll(async () => {
    t = await startApp(
      adapter,
      {
        imports: [EcwidModule.forRoot({ storeId: STORE_ID, clientSecret: CLIENT_SECRET, webhooks: { maxBodyBytes: LIMIT } })],
        controllers: [OtherController],
        providers: [EventRecorder],
      },
      (app) => app.setGlobalPrefix('api'),
    );
    recorder = t.app.get(EventRecorder);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    recorder.events.length = 0;
  });

  /** Posts a signed delivery in chunks, without Content-Length, as a sender that streams its body may. */
  const deliverChunked = (payload: object) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const { port } = new URL(t.url);
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/ecwid/webhooks',
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'transfer-encoding': 'chunked',
            'x-ecwid-webhook-signature': signatureOf(payload as { eventCreated: number; eventId: string }),
          },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      const text = JSON.stringify(payload);
      for (let i = 0; i < text.length; i += 256) req.write(text.slice(i, i + 256));
      req.end();
    });

  it('refuses a delivery over webhooks.maxBodyBytes with 413; Fastify does so before reading the body', async () => {
    const res = await deliver(t.url, orderWebhook('order.created', { padding: 'x'.repeat(2 * LIMIT) }), { path: 'api/ecwid/webhooks' });
    expect(res.status).toBe(413);
    // Fastify's own parser message shows the route-level limit stopped it; Express parses first, then the route refuses.
    expect(res.body).toMatchObject({
      message: adapter === 'fastify' ? 'Request body is too large' : `Ecwid webhook body is over ${LIMIT} bytes`,
    });
    expect(recorder.events).toHaveLength(0);
  });

  it('refuses a streamed delivery over the limit, and takes one under it', async () => {
    const over = await deliverChunked(orderWebhook('order.created', { padding: 'x'.repeat(2 * LIMIT) }));
    expect(over.status).toBe(413);
    expect(recorder.events).toHaveLength(0);
    const under = orderWebhook('order.created', { padding: 'x'.repeat(LIMIT / 4) });
    expect(await deliverChunked(under)).toEqual({ status: 200, body: '{"outcome":"emitted"}' });
    expect(recorder.events.map((event) => event.eventId)).toEqual([under.eventId]);
  });

  it('refuses a compressed delivery, which Ecwid never sends, so compression cannot carry a body past the limit', async () => {
    const payload = orderWebhook('order.created', { padding: 'x'.repeat(2 * LIMIT) });
    const compressed = gzipSync(JSON.stringify(payload));
    const res = await fetch(`${t.url}/api/ecwid/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-ecwid-webhook-signature': signatureOf(payload) },
      body: compressed,
    });
    // Express inflates the body before any route runs; Fastify does not, so its JSON parser fails on the bytes first.
    expect(res.status).toBe(adapter === 'express' ? 415 : 400);
    expect(recorder.events).toHaveLength(0);
  });

  it('leaves the limit of the app\'s other routes alone', async () => {
    const res = await fetch(`${t.url}/api/other`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(4 * LIMIT) }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ length: 4 * LIMIT });
  });
});

describe('the boot log of the webhook route', () => {
  @Module({ imports: [EcwidModule.forRoot({ storeId: STORE_ID, clientSecret: CLIENT_SECRET })] })
  class WebhookModule {}

  it('names the route to register with Ecwid in an app that serves HTTP', async () => {
    const logger = new CapturingLogger();
    const app = await NestFactory.create(WebhookModule, new ExpressAdapter(), { logger });
    try {
      await app.init();
      expect(logger.lines).toContain('Store 1003: Ecwid webhooks are received at POST /ecwid/webhooks EcwidWebhooks');
    } finally {
      await app.close();
    }
  });

  it('says none are received in an application context, which has no HTTP server', async () => {
    const logger = new CapturingLogger();
    const app = await NestFactory.createApplicationContext(WebhookModule, { logger });
    try {
      await app.init();
      expect(logger.lines).toContain('Store 1003: no HTTP server in this app, so Ecwid webhooks are not received here EcwidWebhooks');
      expect(logger.lines.join('\n')).not.toMatch(/received at POST/);
    } finally {
      await app.close();
    }
  });
});

describe.each(ADAPTERS)('webhooks with the Redis state store down, on %s', (adapter) => {
  it('answers 503 rather than wait out ioredis retries, emits nothing, logs the outage and never the password', async () => {
    // A port that was free a moment ago: nothing answers there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));

    @Module({
      imports: [
        EcwidModule.forRoot({
          storeId: STORE_ID,
          clientSecret: CLIENT_SECRET,
          state: { type: 'redis', redis: `redis://:redis-pw-s3cret@127.0.0.1:${port}` },
        }),
      ],
      providers: [EventRecorder],
    })
    class DownModule {}
    const logger = new CapturingLogger();
    const app = await NestFactory.create(DownModule, adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger });
    try {
      await app.listen(0, '127.0.0.1');
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const payload = orderWebhook('order.created');
      for (let attempt = 0; attempt < 2; attempt += 1) {
        expect(await deliver(url, payload)).toEqual({
          status: 503,
          body: { statusCode: 503, error: 'Service Unavailable', message: 'Could not reach the state store; retry later' },
        });
      }
      expect(app.get(EventRecorder).events).toHaveLength(0);
      const log = logger.lines.join('\n');
      expect(log).toMatch(/Redis is unreachable/);
      expect(log).toMatch(/ecwid\.order\.created: The state store failed before emitting event/);
      expect(log).not.toMatch(/s3cret/);
    } finally {
      await app.close();
    }
  });
});

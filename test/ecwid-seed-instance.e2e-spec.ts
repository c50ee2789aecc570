import { inspect } from 'node:util';
import { Test } from '@nestjs/testing';
import { EcwidConfigService, EcwidModule, EcwidOrderEvent, EcwidOrderPoller, EcwidOrdersService } from 'nestjs-ecwid';
import { EcwidCallbackReceiver, EcwidSandbox } from 'nestjs-ecwid/testing';
import { startApp } from './support/apps';
import { EventRecorder } from './support/recorder';
import seedInstance from './fixtures/seed-instance.json';

/** The seed's own setup: a Cloud Elements instance with the legacy keys only, polling, notifying a callback URL. */
describe('a seed-format instance with legacy keys only', () => {
  let sandbox: EcwidSandbox;
  let receiver: EcwidCallbackReceiver;

  beforeAll(async () => {
    let offsetMs = -600_000;
    sandbox = await new EcwidSandbox({ now: () => Date.now() + offsetMs }).start();
    sandbox.seedOrders(25, (i) => ({ paymentStatus: i % 2 ? 'PAID' : 'AWAITING_PAYMENT' }));
    offsetMs = 0;
    receiver = await new EcwidCallbackReceiver().start();
  });
  afterAll(async () => {
    await receiver.stop();
    await sandbox.stop();
  });

  const instance = () => ({
    ...seedInstance,
    configuration: {
      ...seedInstance.configuration,
      'ecwid.store.id': String(sandbox.storeId),
      'ecwid.order.key': sandbox.orderKey,
      'ecwid.api.base.url': sandbox.apiBaseUrl,
      'event.vendor.type': 'polling',
      'event.notification.callback.url': receiver.url,
    },
    polling: { autoStart: false, startFrom: new Date(Date.now() - 3_600_000) },
    notifications: { retryUnitMs: 5 },
    state: { type: 'memory' as const },
  });

  it('polls through the legacy API and forwards every order to the callback URL', async () => {
    const ref = await Test.createTestingModule({ imports: [EcwidModule.forRoot(instance())], providers: [EventRecorder] }).compile();
    await ref.init();
    try {
      expect(ref.get(EcwidOrdersService).toJSON()).toEqual({ api: 'legacy', storeId: sandbox.storeId });
      const result = await ref.get(EcwidOrderPoller).pollNow();
      expect(result).toMatchObject({ orders: 25, emitted: 25 });
      const created = ref.get(EventRecorder).events.filter((e) => e.name === 'ecwid.order.created') as EcwidOrderEvent[];
      expect(created).toHaveLength(25);
      expect(created.every((e) => e.source === 'polling')).toBe(true);
      await receiver.waitFor(() => receiver.delivered.flatMap((n) => n.body.message.events).length === 25);
      expect(receiver.delivered.every((n) => n.body.message.elementKey === 'ecwid' && n.body.message.instanceName === 'ecwid-store-1003')).toBe(true);
    } finally {
      await ref.close();
    }
  });

  it("keeps Cloud Elements' own instance token, given verbatim beside element, out of every request to Ecwid", async () => {
    const ceToken = 'ce_element_instance_token_852';
    // Cloud Elements' instance API answers with the instance's own token at the top level.
    const response = { ...instance(), id: 12345, token: ceToken, element: { id: 42, name: 'Ecwid', key: 'ecwid', active: true }, valid: true };
    const ref = await Test.createTestingModule({ imports: [EcwidModule.forRoot(response)] }).compile();
    try {
      sandbox.clearRequests();
      const orders = ref.get(EcwidOrdersService);
      expect(orders.toJSON()).toEqual({ api: 'legacy', storeId: sandbox.storeId });
      await orders.search({});
      expect(sandbox.requests.length).toBeGreaterThan(0);
      expect(JSON.stringify(sandbox.requests)).not.toContain(ceToken);
      const config = ref.get(EcwidConfigService);
      expect(config.hasToken).toBe(false);
      expect(config.config.instance.elementToken?.reveal()).toBe(ceToken);
      expect(`${JSON.stringify(config)} ${inspect(config, { depth: 10 })}`).not.toContain(ceToken);
    } finally {
      await ref.close();
    }
  });

  it('confirms an ION through the legacy API before emitting it', async () => {
    const quiet = instance();
    quiet.configuration['event.notification.enabled'] = 'false';
    const t = await startApp('express', { imports: [EcwidModule.forRoot(quiet)], providers: [EventRecorder] });
    try {
      const order = sandbox.createOrder({ paymentStatus: 'PAID' });
      const ionUrl = `${t.url}/ecwid/ion`;
      expect(await sandbox.sendIon(ionUrl, order, 'new_order')).toBe(200);
      const events = t.app.get(EventRecorder).events as EcwidOrderEvent[];
      expect(events.map((e) => e.name)).toEqual(['ecwid.order.created', 'ecwid.order.paid']);
      expect(events[0]).toMatchObject({ source: 'ion', internalId: order.internalId });
      expect(events[0].order).toMatchObject({ paymentStatus: 'PAID' });

      const forged = { ...order, internalId: 999_999_999 };
      expect(await sandbox.sendIon(ionUrl, forged, 'new_order')).toBe(200);
      expect(events).toHaveLength(2);
    } finally {
      await t.close();
    }
  });
});

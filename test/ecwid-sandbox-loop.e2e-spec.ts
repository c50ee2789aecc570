import { EcwidConfigService, EcwidModule, EcwidModuleOptions, EcwidOrderEvent, EcwidOrdersService } from 'nestjs-ecwid';
import { EcwidSandbox } from 'nestjs-ecwid/testing';
import { ADAPTERS, startApp, TestApp } from './support/apps';
import { EventRecorder } from './support/recorder';

/**
 * The module for `sandbox`, reading each order back (`hydrate`) within 1 s: well above a local read, well below the
 * 5 s delay the slow-store case injects.
 */
const hydratingModule = (sandbox: EcwidSandbox, http: EcwidModuleOptions['http']) =>
  EcwidModule.forRoot({
    storeId: sandbox.storeId,
    token: sandbox.token,
    clientSecret: sandbox.clientSecret,
    apiBaseUrl: sandbox.apiBaseUrl,
    hydrate: true,
    hydrateTimeoutMs: 1000,
    http,
  });

/** The whole loop a user sees: a change in the store comes back as a signed webhook and a domain event. */
describe.each(ADAPTERS)('sandbox to app over real HTTP on %s', (adapter) => {
  let sandbox: EcwidSandbox;
  let t: TestApp;
  let recorder: EventRecorder;

  beforeAll(async () => {
    sandbox = await new EcwidSandbox().start();
    t = await startApp(adapter, {
      imports: [hydratingModule(sandbox, { maxRetries: 0 })],
      providers: [EventRecorder],
    });
    recorder = t.app.get(EventRecorder);
    sandbox.webhookUrl = `${t.url}${t.app.get(EcwidConfigService).webhookRoute()}`;
  });
  afterAll(async () => {
    await t.close();
    await sandbox.stop();
  });
  beforeEach(() => {
    recorder.events.length = 0;
    sandbox.deliveries.length = 0;
    sandbox.clearFaults();
  });

  it('turns changes made through the orders API into hydrated domain events', async () => {
    const orders = t.app.get(EcwidOrdersService);
    const { orderId } = await orders.create({ email: 'ada@example.com', total: 5, paymentStatus: 'AWAITING_PAYMENT', fulfillmentStatus: 'AWAITING_PROCESSING' });
    await orders.update(orderId, { paymentStatus: 'PAID' });
    await orders.update(orderId, { fulfillmentStatus: 'SHIPPED' });
    await orders.delete(orderId);
    await sandbox.waitForDeliveries();

    expect(sandbox.deliveries.map((d) => d.status)).toEqual([200, 200, 200, 200]);
    expect(recorder.names).toEqual([
      'ecwid.order.created',
      'ecwid.order.updated',
      'ecwid.order.paid',
      'ecwid.order.payment_status_changed',
      'ecwid.order.updated',
      'ecwid.order.fulfillment_status_changed',
      'ecwid.order.deleted',
    ]);
    const created = recorder.events[0] as EcwidOrderEvent;
    expect(created.orderId).toBe(orderId);
    expect(created.order).toMatchObject({ id: orderId, email: 'ada@example.com' });
    expect((recorder.events[6] as EcwidOrderEvent).order).toBeUndefined();
  });

  it('emits an event Ecwid delivers twice at once only once, answering the copy that arrives mid-handling 409', async () => {
    sandbox.webhookCopies = { count: 2, concurrent: true };
    try {
      const order = sandbox.createOrder({ paymentStatus: 'AWAITING_PAYMENT' });
      // Keeps whichever copy claims the event first in its hydrating read while the other arrives.
      sandbox.injectFault({ match: { method: 'GET', path: `/orders/${order.id}` }, times: 1, delayMs: 300 });
      await sandbox.waitForDeliveries();
      expect(sandbox.deliveries.map((d) => d.status).sort()).toEqual([200, 409]);
      expect(recorder.names).toEqual(['ecwid.order.created']);

      // Ecwid's retry of that copy finds the event handled.
      const refused = sandbox.deliveries.find((d) => d.status === 409)!;
      expect(await sandbox.deliverWebhook(refused.payload)).toBe(200);
      expect(recorder.names).toEqual(['ecwid.order.created']);
    } finally {
      sandbox.webhookCopies = { count: 1 };
    }
  });

  it.each([
    ['fails', { status: 500 }],
    // Within the client's own 15 s timeout, but past hydrateTimeoutMs: answered before Ecwid would give up.
    ['answers only after hydrateTimeoutMs', { delayMs: 5000 }],
  ])('answers 503 when the order read %s, and emits on the retry once Ecwid answers', async (_, fault) => {
    const order = sandbox.createOrder({ paymentStatus: 'PAID' });
    sandbox.injectFault({ match: { method: 'GET', path: `/orders/${order.id}` }, times: 1, ...fault });
    await sandbox.waitForDeliveries();
    expect(sandbox.deliveries.map((d) => d.status)).toEqual([503]);
    expect(recorder.events).toHaveLength(0);

    expect(await sandbox.deliverWebhook(sandbox.deliveries[0].payload)).toBe(200);
    expect(recorder.names).toEqual(['ecwid.order.created', 'ecwid.order.paid']);
    expect((recorder.events[0] as EcwidOrderEvent).order).toMatchObject({ id: order.id, paymentStatus: 'PAID' });
  });

  it('attaches null when the order is gone by the time the event is handled', async () => {
    const order = sandbox.createOrder();
    sandbox.deleteOrder(order.id);
    await sandbox.waitForDeliveries();
    expect(recorder.names).toEqual(['ecwid.order.created', 'ecwid.order.deleted']);
    expect((recorder.events[0] as EcwidOrderEvent).order).toBeNull();
  });
});

describe('hydration past hydrateTimeoutMs', () => {
  it('stops reading the order, retries and all, once the delivery is answered 503', async () => {
    const sandbox = await new EcwidSandbox().start();
    const t = await startApp('express', {
      imports: [hydratingModule(sandbox, { maxRetries: 4, retryBaseDelayMs: 5, retryMaxDelayMs: 5000 })],
    });
    try {
      sandbox.webhookUrl = `${t.url}${t.app.get(EcwidConfigService).webhookRoute()}`;
      // Each read is answered 503 and asked to wait 2 s: past the deadline at 1 s, the read would go on to a second.
      sandbox.injectFault({ match: { method: 'GET' }, status: 503, retryAfterSeconds: 2, times: Infinity });
      const order = sandbox.createOrder();
      await sandbox.waitForDeliveries();
      expect(sandbox.deliveries.map((d) => d.status)).toEqual([503]);
      await new Promise((resolve) => setTimeout(resolve, 1600));
      expect(sandbox.requests.filter((r) => r.path.endsWith(`/orders/${order.id}`))).toHaveLength(1);
    } finally {
      await t.close();
      await sandbox.stop();
    }
  });
});

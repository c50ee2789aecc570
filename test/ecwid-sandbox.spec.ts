import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import type { EcwidOrder } from '../src/orders/ecwid-order.model';
import type { EcwidWebhookPayload } from '../src/webhooks/ecwid-webhook.payload';
import { computeEcwidWebhookSignature } from '../src/webhooks/ecwid-webhook.signature';
import { EcwidCallbackReceiver } from '../src/testing/ecwid-callback-receiver';
import { EcwidSandbox, signEcwidWebhook, type SandboxWebhookCopies } from '../src/testing/ecwid-sandbox';

/** 2024-05-01 05:26:28 UTC, the moment of Ecwid's documented search sample. */
const SAMPLE_MS = Date.UTC(2024, 4, 1, 5, 26, 28);
const SAMPLE_SECONDS = SAMPLE_MS / 1000;

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: EcwidWebhookPayload;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Statuses to answer with, in order; 200 once exhausted. */
  answers: number[];
  close(): Promise<void>;
}

async function startReceiver(answers: number[] = []): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        url: request.url ?? '',
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as EcwidWebhookPayload,
      });
      response.statusCode = receiver.answers.shift() ?? 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiver: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    answers,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return receiver;
}

function expectValidSignature(delivery: Received, clientSecret: string): void {
  const { eventCreated, eventId } = delivery.body;
  expect(delivery.headers['x-ecwid-webhook-signature']).toBe(
    computeEcwidWebhookSignature(eventCreated, eventId, clientSecret),
  );
}

describe('EcwidSandbox', () => {
  let clock = SAMPLE_MS;
  const sandbox = new EcwidSandbox({ now: () => clock });

  const storeUrl = (path: string): string => `${sandbox.apiBaseUrl}/${sandbox.storeId}${path}`;
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${sandbox.token}` });

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; headers: Headers }> {
    const response = await fetch(storeUrl(path), {
      method,
      headers: body === undefined ? auth() : { ...auth(), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json(), headers: response.headers };
  }

  const search = async (query: string): Promise<any> => {
    const { status, json } = await call('GET', `/orders?${query}`);
    expect(status).toBe(200);
    return json;
  };
  const searchIds = async (query: string): Promise<string[]> =>
    (await search(query)).items.map((order: EcwidOrder) => order.id);

  beforeAll(async () => {
    await sandbox.start();
  });

  afterAll(async () => {
    await sandbox.stop();
  });

  beforeEach(() => {
    clock = SAMPLE_MS;
    sandbox.webhookUrl = undefined;
    sandbox.reset();
  });

  describe('addresses', () => {
    it('serves the API under /api/v3 on the bound port', () => {
      expect(sandbox.port).toBeGreaterThan(0);
      expect(sandbox.url).toBe(`http://127.0.0.1:${sandbox.port}`);
      expect(sandbox.apiBaseUrl).toBe(`http://127.0.0.1:${sandbox.port}/api/v3`);
      expect(sandbox.storeId).toBe(1003);
      expect(sandbox.token).toBe('secret_sandbox_token');
      expect(sandbox.clientSecret).toBe('sandbox_client_secret');
    });

    it("dates its answers by its own clock, as Ecwid's carry Ecwid's, so a client can see the two clocks differ", async () => {
      clock = SAMPLE_MS + 86_400_000;
      const { status, headers } = await call('GET', '/orders');
      expect(status).toBe(200);
      expect(headers.get('date')).toBe(new Date(clock).toUTCString());
    });

    it('shares one server between start calls made at once, so stop leaves none listening', async () => {
      const twice = new EcwidSandbox();
      const [first, second] = await Promise.all([twice.start(), twice.start()]);
      expect(first).toBe(second);
      const port = twice.port;
      await twice.stop();
      await expect(fetch(`http://127.0.0.1:${port}/api/v3`)).rejects.toThrow('fetch failed');
    });

    it('closes a server still binding when stop is called, so nothing is left listening', async () => {
      const early = new EcwidSandbox();
      const port = early.start().then((started) => started.port);
      try {
        await early.stop();
        await expect(fetch(`http://127.0.0.1:${await port}/api/v3`)).rejects.toThrow('fetch failed');
        expect(() => early.port).toThrow('not started');
      } finally {
        await early.stop();
      }
    });

    it('refuses to report a port before start', () => {
      expect(() => new EcwidSandbox().port).toThrow('not started');
    });
  });

  describe('authentication and routing', () => {
    it('answers 403 INVALID_API_TOKEN without an Authorization header', async () => {
      const response = await fetch(storeUrl('/orders'));
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ errorMessage: 'Missing or invalid API token', errorCode: 'INVALID_API_TOKEN' });
    });

    it('answers 403 for a wrong token', async () => {
      const response = await fetch(storeUrl('/orders'), { headers: { authorization: 'Bearer secret_wrong' } });
      expect(response.status).toBe(403);
      expect(await errorCodeOf(response)).toBe('INVALID_API_TOKEN');
    });

    it('refuses the discontinued ?token= query parameter, even next to a valid header', async () => {
      const alone = await fetch(`${storeUrl('/orders')}?token=${sandbox.token}`);
      const withHeader = await fetch(`${storeUrl('/orders')}?token=${sandbox.token}`, { headers: auth() });
      expect([alone.status, withHeader.status]).toEqual([403, 403]);
      expect(await errorCodeOf(alone)).toBe('INVALID_API_TOKEN');
    });

    it('answers 404 STORE_NOT_FOUND for another store id', async () => {
      const response = await fetch(`${sandbox.apiBaseUrl}/9999/orders`, { headers: auth() });
      expect(response.status).toBe(404);
      expect(await errorCodeOf(response)).toBe('STORE_NOT_FOUND');
    });

    it('answers 404 for unknown routes', async () => {
      expect((await call('GET', '/products')).status).toBe(404);
      expect((await call('PATCH', '/orders')).status).toBe(404);
      expect((await fetch(`${sandbox.url}/elsewhere`)).status).toBe(404);
    });

    it('records every request with its answer', async () => {
      await fetch(`${storeUrl('/orders')}?limit=5&email=a%40b.c`, { headers: auth() });
      await fetch(storeUrl('/orders'));
      expect(sandbox.requests).toEqual([
        {
          method: 'GET',
          path: '/api/v3/1003/orders',
          query: { limit: '5', email: 'a@b.c' },
          authorization: 'Bearer secret_sandbox_token',
          status: 200,
          at: SAMPLE_MS,
        },
        { method: 'GET', path: '/api/v3/1003/orders', query: {}, status: 403, at: SAMPLE_MS },
      ]);
      sandbox.clearRequests();
      expect(sandbox.requests).toHaveLength(0);
    });
  });

  describe('orders', () => {
    it('assigns ids, numbers, dates and defaults the way Ecwid does', () => {
      const first = sandbox.createOrder({ items: [{ productId: 7, price: 2.5, quantity: 2, name: 'Mug' }], tax: 1 });
      const second = sandbox.createOrder();
      expect(first.id).toMatch(/^[A-Z0-9]{5}$/);
      expect(second.id).not.toBe(first.id);
      expect(second.internalId).toBe(first.internalId + 1);
      expect(first).toMatchObject({
        orderNumber: first.internalId,
        vendorOrderNumber: first.id,
        paymentStatus: 'AWAITING_PAYMENT',
        fulfillmentStatus: 'AWAITING_PROCESSING',
        subtotal: 5,
        total: 6,
        createDate: '2024-05-01 05:26:28 +0000',
        updateDate: '2024-05-01 05:26:28 +0000',
        createTimestamp: SAMPLE_SECONDS,
        updateTimestamp: SAMPLE_SECONDS,
      });
      expect(second.items).toEqual([]);
      expect(second.total).toBe(0);
    });

    it('hands out copies, never the stored orders', () => {
      const created = sandbox.createOrder({ email: 'a@example.com' });
      created.email = 'changed@example.com';
      const read = sandbox.getOrder(created.id);
      read!.email = 'changed@example.com';
      sandbox.listOrders()[0].email = 'changed@example.com';
      expect(sandbox.getOrder(created.id)?.email).toBe('a@example.com');
    });

    it('bumps only the update date on update and keeps omitted fields', () => {
      const order = sandbox.createOrder({ email: 'keep@example.com', paymentStatus: 'PAID' });
      clock += 90_000;
      const updated = sandbox.updateOrder(order.id, { fulfillmentStatus: 'SHIPPED', createTimestamp: 1 });
      expect(updated).toMatchObject({
        email: 'keep@example.com',
        paymentStatus: 'PAID',
        fulfillmentStatus: 'SHIPPED',
        createTimestamp: SAMPLE_SECONDS,
        updateTimestamp: SAMPLE_SECONDS + 90,
        updateDate: '2024-05-01 05:27:58 +0000',
      });
    });

    it('rejects unknown statuses and missing orders', () => {
      expect(() => sandbox.createOrder({ paymentStatus: 'QUEUED' as never })).toThrow("Unknown paymentStatus 'QUEUED'");
      expect(() => sandbox.updateOrder('NOPE1', {})).toThrow("Order 'NOPE1' not found");
      expect(() => sandbox.deleteOrder('NOPE1')).toThrow("Order 'NOPE1' not found");
    });

    it('creates, reads, updates and deletes over HTTP', async () => {
      const created = await call('POST', '/orders', { email: 'shopper@example.com', total: 42, id: 'IGNRD' });
      expect(created.status).toBe(200);
      const { id, orderId } = created.json;
      expect(orderId).toMatch(/^[A-Z0-9]{5}$/);
      expect(id).toBe(sandbox.getOrder(orderId)?.internalId);

      const read = await call('GET', `/orders/${orderId}`);
      expect(read.json).toMatchObject({ id: orderId, internalId: id, email: 'shopper@example.com', total: 42 });

      clock += 5_000;
      const updated = await call('PUT', `/orders/${orderId}`, { paymentStatus: 'PAID', internalId: 1 });
      expect(updated).toMatchObject({ status: 200, json: { updateCount: 1 } });
      expect(sandbox.getOrder(orderId)).toMatchObject({
        internalId: id,
        email: 'shopper@example.com',
        paymentStatus: 'PAID',
        updateTimestamp: SAMPLE_SECONDS + 5,
      });

      const deleted = await call('DELETE', `/orders/${orderId}`);
      expect(deleted).toMatchObject({ status: 200, json: { deleteCount: 1 } });
      const gone = await call('GET', `/orders/${orderId}`);
      expect(gone.status).toBe(404);
      expect(gone.json.errorCode).toBe('ORDER_NOT_FOUND');
    });

    it('answers 404 ORDER_NOT_FOUND when updating or deleting a missing order', async () => {
      const update = await call('PUT', '/orders/NOPE1', { paymentStatus: 'PAID' });
      const remove = await call('DELETE', '/orders/NOPE1');
      expect([update.status, update.json.errorCode, remove.status, remove.json.errorCode]).toEqual([
        404,
        'ORDER_NOT_FOUND',
        404,
        'ORDER_NOT_FOUND',
      ]);
    });

    it('answers 415 for a non-JSON body and 400 WRONG_PARAMETER for bad JSON or a bad status', async () => {
      const text = await fetch(storeUrl('/orders'), {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'text/plain' },
        body: '{}',
      });
      expect(text.status).toBe(415);
      const broken = await fetch(storeUrl('/orders'), {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json; charset=utf-8' },
        body: '{"email":',
      });
      expect(broken.status).toBe(400);
      expect(await errorCodeOf(broken)).toBe('WRONG_PARAMETER');
      const badStatus = await call('POST', '/orders', { paymentStatus: 'QUEUED' });
      expect([badStatus.status, badStatus.json.errorCode]).toEqual([400, 'WRONG_PARAMETER']);
      expect(sandbox.listOrders()).toHaveLength(0);
    });

    it('lists deleted orders by internal id and deletion date, filtered by from_date/to_date inclusively', async () => {
      const first = sandbox.createOrder();
      const second = sandbox.createOrder();
      const kept = sandbox.createOrder({ id: 'deleted' });
      sandbox.deleteOrder(first.id);
      clock += 60_000;
      sandbox.deleteOrder(second.id);

      const all = await call('GET', '/orders/deleted');
      expect(all.json).toEqual({
        total: 2,
        count: 2,
        offset: 0,
        limit: 100,
        items: [
          { id: first.internalId, date: '2024-05-01 05:26:28 +0000' },
          { id: second.internalId, date: '2024-05-01 05:27:28 +0000' },
        ],
      });
      const late = await call('GET', `/orders/deleted?from_date=${SAMPLE_SECONDS + 60}`);
      expect(late.json.items).toEqual([{ id: second.internalId, date: '2024-05-01 05:27:28 +0000' }]);
      const early = await call('GET', `/orders/deleted?to_date=${encodeURIComponent('2024-05-01 05:26:28')}`);
      expect(early.json.items).toEqual([{ id: first.internalId, date: '2024-05-01 05:26:28 +0000' }]);
      const paged = await call('GET', '/orders/deleted?offset=1&limit=1');
      expect(paged.json).toMatchObject({ total: 2, count: 1, offset: 1, limit: 1 });
      expect(sandbox.getOrder('deleted')?.internalId).toBe(kept.internalId);
    });

    it('keeps a deletion in the history for 183 days, then forgets it', async () => {
      const old = sandbox.createOrder();
      const recent = sandbox.createOrder();
      sandbox.deleteOrder(old.id);
      clock += 1_000;
      sandbox.deleteOrder(recent.id);
      const listed = async (): Promise<[number, number[]]> => {
        const { json } = await call('GET', '/orders/deleted');
        return [json.total, json.items.map((item: { id: number }) => item.id)];
      };

      clock = SAMPLE_MS + 183 * 86_400_000;
      expect(await listed()).toEqual([2, [old.internalId, recent.internalId]]);
      clock += 1_000;
      expect(await listed()).toEqual([1, [recent.internalId]]);
      // Forgotten, not hidden: turning the clock back does not bring it back.
      clock = SAMPLE_MS;
      expect(await listed()).toEqual([1, [recent.internalId]]);
    });
  });

  describe('search', () => {
    let orders: EcwidOrder[];

    beforeEach(() => {
      orders = [
        sandbox.createOrder({
          email: 'Ann@Example.com',
          customerId: 11,
          paymentStatus: 'PAID',
          fulfillmentStatus: 'SHIPPED',
          paymentMethod: 'Stripe',
          items: [{ productId: 501, name: 'Blue Teapot', price: 30, quantity: 1 }],
          billingPerson: { name: 'Ann Archer' },
          shippingOption: { shippingMethodName: 'Courier' },
          discountCoupon: { code: 'SPRING' },
          acceptMarketing: true,
        }),
      ];
      clock += 3_600_000;
      orders.push(
        sandbox.createOrder({
          email: 'bob@example.com',
          customerId: 12,
          paymentStatus: 'AWAITING_PAYMENT',
          items: [{ productId: 502, name: 'Red Cup', price: 5, quantity: 2 }],
          shippingPerson: { name: 'Bob Baker' },
        }),
      );
      clock += 3_600_000;
      orders.push(sandbox.createOrder({ email: 'cart@example.com', paymentStatus: 'INCOMPLETE', total: 99 }));
      clock += 3_600_000;
      orders.push(sandbox.createOrder({ email: 'dan@example.com', paymentStatus: 'REFUNDED', total: 50 }));
    });

    const ids = (...indexes: number[]): string[] => indexes.map((index) => orders[index].id);

    it('answers the Ecwid page envelope in internalId order and hides INCOMPLETE orders', async () => {
      const page = await search('');
      expect(page).toMatchObject({ total: 3, count: 3, offset: 0, limit: 100 });
      expect(page.items.map((order: EcwidOrder) => order.id)).toEqual(ids(0, 1, 3));
      expect(page.items[0]).toEqual(sandbox.getOrder(orders[0].id));
    });

    it('returns INCOMPLETE orders only when paymentStatus asks for them', async () => {
      expect(await searchIds('paymentStatus=INCOMPLETE')).toEqual(ids(2));
      expect(await searchIds('paymentStatus=PAID,incomplete')).toEqual(ids(0, 2));
    });

    it('filters by ids, keywords, email, customer and product', async () => {
      expect(await searchIds(`ids=${orders[3].id},${orders[0].id},${orders[2].id}`)).toEqual(ids(0, 3));
      expect(await searchIds('keywords=teapot')).toEqual(ids(0));
      expect(await searchIds('keywords=baker')).toEqual(ids(1));
      expect(await searchIds(`keywords=${orders[3].id.toLowerCase()}`)).toEqual(ids(3));
      expect(await searchIds('email=ann%40example.com')).toEqual(ids(0));
      expect(await searchIds('customerId=12')).toEqual(ids(1));
      expect(await searchIds('productId=502')).toEqual(ids(1));
    });

    it('never answers one query from another whose values only join to the same text', async () => {
      expect(await searchIds('keywords=teapot&email=ann%40example.com')).toEqual(ids(0));
      // One keyword holding "&email=...": no order matches it, however the previous query was cached.
      expect(await searchIds(`keywords=${encodeURIComponent('teapot&email=ann@example.com')}`)).toEqual([]);
    });

    it('filters by totals with inclusive bounds', async () => {
      expect(await searchIds('totalFrom=10&totalTo=30')).toEqual(ids(0, 1));
      expect(await searchIds('totalFrom=30')).toEqual(ids(0, 3));
      expect(await searchIds('totalTo=10')).toEqual(ids(1));
    });

    it('filters by dates given as UNIX seconds or as yyyy-MM-dd HH:mm:ss (UTC), bounds inclusive', async () => {
      expect(await searchIds(`createdFrom=${SAMPLE_SECONDS + 3600}`)).toEqual(ids(1, 3));
      expect(await searchIds(`createdTo=${SAMPLE_SECONDS + 3600}`)).toEqual(ids(0, 1));
      expect(await searchIds(`createdFrom=${encodeURIComponent('2024-05-01 06:26:28')}`)).toEqual(ids(1, 3));
      expect(await searchIds(`createdTo=${encodeURIComponent('2024-05-01 06:26:27')}`)).toEqual(ids(0));
      clock += 3_600_000;
      sandbox.updateOrder(orders[0].id, { privateAdminNotes: 'checked' });
      expect(await searchIds(`updatedFrom=${SAMPLE_SECONDS + 4 * 3600}`)).toEqual(ids(0));
      expect(await searchIds(`updatedTo=${encodeURIComponent('2024-05-01 08:26:28 +0000')}`)).toEqual(ids(1, 3));
    });

    it('filters by statuses, methods, coupon and marketing consent', async () => {
      expect(await searchIds('paymentStatus=PAID,REFUNDED')).toEqual(ids(0, 3));
      expect(await searchIds('fulfillmentStatus=SHIPPED')).toEqual(ids(0));
      expect(await searchIds('fulfillmentStatus=AWAITING_PROCESSING')).toEqual(ids(1, 3));
      expect(await searchIds('paymentMethod=stripe')).toEqual(ids(0));
      expect(await searchIds('shippingMethod=Courier')).toEqual(ids(0));
      expect(await searchIds('couponCode=SPRING')).toEqual(ids(0));
      expect(await searchIds('acceptMarketing=true')).toEqual(ids(0));
      expect(await searchIds('acceptMarketing=false')).toEqual(ids(1, 3));
    });

    it('pages with offset and limit', async () => {
      const page = await search('offset=1&limit=1');
      expect(page).toMatchObject({ total: 3, count: 1, offset: 1, limit: 1 });
      expect(page.items.map((order: EcwidOrder) => order.id)).toEqual(ids(1));
      const past = await search('offset=5');
      expect(past).toMatchObject({ total: 3, count: 0, offset: 5, items: [] });
    });

    it.each(['limit=101', 'limit=-1', 'limit=abc', 'offset=-5', 'createdFrom=yesterday', 'createdFrom=2024-05-01%2005%3A26', 'totalFrom=ten', 'acceptMarketing=yes'])(
      'answers 400 WRONG_PARAMETER for %s',
      async (query) => {
        const { status, json } = await call('GET', `/orders?${query}`);
        expect([status, json.errorCode]).toEqual([400, 'WRONG_PARAMETER']);
      },
    );

    it('sees changes made between two pages of the same query', async () => {
      expect((await search('paymentStatus=PAID')).total).toBe(1);
      sandbox.updateOrder(orders[1].id, { paymentStatus: 'PAID' });
      expect(await searchIds('paymentStatus=PAID')).toEqual(ids(0, 1));
    });
  });

  describe('responseFields', () => {
    it('answers only the fields named, in the page and in each order, as Ecwid does', async () => {
      const order = sandbox.createOrder({ email: 'ann@example.com', total: 7, items: [{ sku: 'T-1', name: 'Teapot', price: 7, quantity: 1 }] });
      expect(await search('responseFields=items(id,total)')).toEqual({ items: [{ id: order.id, total: 7 }] });
      expect(await search('responseFields=total,count')).toEqual({ total: 1, count: 1 });
      const one = await call('GET', `/orders/${order.id}?responseFields=${encodeURIComponent('id, email, items(sku), nowhere')}`);
      expect(one.json).toEqual({ id: order.id, email: 'ann@example.com', items: [{ sku: 'T-1' }] });
    });

    it('answers 400 for a selection it cannot read', async () => {
      for (const bad of ['items(id', 'items)', 'id,,email', '']) {
        const { status, json } = await call('GET', `/orders?responseFields=${encodeURIComponent(bad)}`);
        expect([status, json.errorCode]).toEqual([400, 'WRONG_PARAMETER']);
      }
    });
  });

  describe('bulk seed', () => {
    it('seeds 100,000 orders without webhooks and pages through them with an updatedFrom filter', async () => {
      const receiver = await startReceiver();
      sandbox.webhookUrl = receiver.url;
      sandbox.seedOrders(100_000, (index) => ({
        createTimestamp: SAMPLE_SECONDS + index,
        updateTimestamp: SAMPLE_SECONDS + index,
        paymentStatus: index % 10 === 0 ? 'INCOMPLETE' : 'PAID',
      }));
      await sandbox.waitForDeliveries();
      expect(sandbox.deliveries).toHaveLength(0);

      const seen = new Set<string>();
      const internalIds: number[] = [];
      const totals = new Set<number>();
      let pages = 0;
      for (let offset = 0; ; offset += 100) {
        const page = await search(`updatedFrom=${SAMPLE_SECONDS + 50_000}&offset=${offset}&limit=100`);
        totals.add(page.total);
        for (const order of page.items as EcwidOrder[]) {
          seen.add(order.id);
          internalIds.push(order.internalId);
        }
        pages++;
        if (page.count < 100) {
          expect(page.count).toBe(0);
          break;
        }
      }
      expect([...totals]).toEqual([45_000]);
      expect(pages).toBe(451);
      expect(seen.size).toBe(45_000);
      expect(internalIds.every((id, index) => index === 0 || id > internalIds[index - 1])).toBe(true);
      expect(sandbox.getOrder([...seen][0])?.updateTimestamp).toBe(SAMPLE_SECONDS + 50_001);
      await receiver.close();
    });
  });

  describe('webhooks', () => {
    let receiver: Receiver;

    beforeEach(async () => {
      receiver = await startReceiver();
      sandbox.webhookUrl = receiver.url;
    });

    afterEach(async () => {
      await sandbox.waitForDeliveries();
      await receiver.close();
    });

    it('signs headers the way Ecwid does', () => {
      const payload = { eventId: 'e-1', eventCreated: 1234567, storeId: 1003, entityId: 1, eventType: 'order.created' };
      expect(signEcwidWebhook(payload, 'app-secret')).toEqual({
        'content-type': 'application/json; charset=UTF-8',
        'x-ecwid-webhook-signature': computeEcwidWebhookSignature(1234567, 'e-1', 'app-secret'),
      });
    });

    it('delivers created, updated and deleted events in order, signed, with the status data', async () => {
      const order = sandbox.createOrder({ paymentStatus: 'PAID' });
      sandbox.updateOrder(order.id, { fulfillmentStatus: 'SHIPPED' });
      sandbox.deleteOrder(order.id);
      expect(receiver.received).toHaveLength(0);
      await sandbox.waitForDeliveries();

      expect(receiver.received.map((delivery) => delivery.url)).toEqual([
        '/hooks?eventtype=order.created',
        '/hooks?eventtype=order.updated',
        '/hooks?eventtype=order.deleted',
      ]);
      const bodies = receiver.received.map(({ body }) => ({ ...body, eventId: typeof body.eventId }));
      const envelope = { eventId: 'string', eventCreated: SAMPLE_SECONDS, storeId: 1003, entityId: order.internalId };
      expect(bodies).toEqual([
        {
          ...envelope,
          eventType: 'order.created',
          data: { orderId: order.id, newPaymentStatus: 'PAID', newFulfillmentStatus: 'AWAITING_PROCESSING' },
        },
        {
          ...envelope,
          eventType: 'order.updated',
          data: {
            orderId: order.id,
            oldPaymentStatus: 'PAID',
            newPaymentStatus: 'PAID',
            oldFulfillmentStatus: 'AWAITING_PROCESSING',
            newFulfillmentStatus: 'SHIPPED',
          },
        },
        { ...envelope, eventType: 'order.deleted', data: { orderId: order.id } },
      ]);
      for (const delivery of receiver.received) {
        expect(delivery.headers['content-type']).toBe('application/json; charset=UTF-8');
        expectValidSignature(delivery, sandbox.clientSecret);
      }
      expect(new Set(receiver.received.map(({ body }) => body.eventId)).size).toBe(3);
      expect(sandbox.deliveries.map(({ attempt, status, delivered }) => ({ attempt, status, delivered }))).toEqual([
        { attempt: 1, status: 200, delivered: true },
        { attempt: 1, status: 200, delivered: true },
        { attempt: 1, status: 200, delivered: true },
      ]);
    });

    it('delivers changes made over HTTP too', async () => {
      const { json } = await call('POST', '/orders', { email: 'x@example.com' });
      await call('PUT', `/orders/${json.orderId}`, { paymentStatus: 'CANCELLED' });
      await sandbox.waitForDeliveries();
      expect(receiver.received.map(({ body }) => [body.eventType, body.entityId, body.data?.newPaymentStatus])).toEqual([
        ['order.created', json.id, 'AWAITING_PAYMENT'],
        ['order.updated', json.id, 'CANCELLED'],
      ]);
    });

    it('reports an unfinished order as unfinished_order.* until checkout completes', async () => {
      const order = sandbox.createOrder({ paymentStatus: 'INCOMPLETE' });
      sandbox.updateOrder(order.id, { email: 'late@example.com' });
      sandbox.updateOrder(order.id, { paymentStatus: 'PAID' });
      await sandbox.waitForDeliveries();
      const cartId = expect.stringMatching(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
      expect(receiver.received.map(({ body }) => [body.eventType, body.data])).toEqual([
        ['unfinished_order.created', { orderId: order.id, cartId }],
        ['unfinished_order.updated', { orderId: order.id, cartId }],
        ['order.created', { orderId: order.id, newPaymentStatus: 'PAID', newFulfillmentStatus: 'AWAITING_PROCESSING' }],
      ]);
      // One cart per order, named alike by every event of it.
      expect(receiver.received[0].body.data?.cartId).toBe(receiver.received[1].body.data?.cartId);

      const abandoned = sandbox.createOrder({ paymentStatus: 'INCOMPLETE' });
      sandbox.deleteOrder(abandoned.id);
      await sandbox.waitForDeliveries();
      const deleted = receiver.received[receiver.received.length - 1].body;
      expect([deleted.eventType, deleted.data?.cartId]).toEqual(['unfinished_order.deleted', expect.any(String)]);
      expect(deleted.data?.cartId).not.toBe(receiver.received[0].body.data?.cartId);
    });

    it('treats a field set to undefined as left out, in createOrder and updateOrder as over HTTP', async () => {
      const shipped = false as boolean;
      const order = sandbox.createOrder({ email: 'a@example.com', fulfillmentStatus: shipped ? 'SHIPPED' : undefined, total: undefined });
      expect(order).toMatchObject({ fulfillmentStatus: 'AWAITING_PROCESSING', paymentStatus: 'AWAITING_PAYMENT' });
      expect(typeof order.total).toBe('number');
      const updated = sandbox.updateOrder(order.id, { fulfillmentStatus: 'SHIPPED', paymentStatus: undefined, email: undefined });
      expect(updated).toMatchObject({ fulfillmentStatus: 'SHIPPED', paymentStatus: 'AWAITING_PAYMENT', email: 'a@example.com' });
    });

    it('sends nothing while no webhook URL is set', async () => {
      sandbox.webhookUrl = undefined;
      sandbox.createOrder();
      await sandbox.waitForDeliveries();
      expect(sandbox.deliveries).toHaveLength(0);
      expect(receiver.received).toHaveLength(0);
    });

    it('counts 203 as a failure and does not retry by default', async () => {
      receiver.answers.push(203);
      sandbox.createOrder();
      await sandbox.waitForDeliveries();
      expect(sandbox.deliveries.map(({ status, delivered, attempt }) => [status, delivered, attempt])).toEqual([[203, false, 1]]);
    });

    it('retries a failed delivery with the same event id and signature', async () => {
      const retrying = new EcwidSandbox({ webhookUrl: receiver.url, webhookRetry: { attempts: 4, delaysMs: [20, 10] } });
      receiver.answers.push(500, 302, 209);
      retrying.createOrder();
      await retrying.waitForDeliveries();
      expect(retrying.deliveries.map(({ status, delivered, attempt }) => [status, delivered, attempt])).toEqual([
        [500, false, 1],
        [302, false, 2],
        [209, true, 3],
      ]);
      expect(new Set(receiver.received.map(({ body }) => body.eventId)).size).toBe(1);
      expect(new Set(receiver.received.map(({ headers }) => headers['x-ecwid-webhook-signature'])).size).toBe(1);
      expectValidSignature(receiver.received[2], retrying.clientSecret);
    });

    it('refuses a retry plan it cannot follow when constructed, and keeps its own copy of a good one', () => {
      expect(() => new EcwidSandbox({ webhookRetry: { attempts: 0, delaysMs: [] } })).toThrow(/webhookRetry.attempts/);
      expect(() => new EcwidSandbox({ webhookRetry: { attempts: 2.5, delaysMs: [10] } })).toThrow(/webhookRetry.attempts/);
      expect(() => new EcwidSandbox({ webhookRetry: { attempts: 2, delaysMs: [-1] } })).toThrow(/webhookRetry.delaysMs/);
      expect(() => new EcwidSandbox({ webhookRetry: { attempts: 2, delaysMs: [NaN] } })).toThrow(/webhookRetry.delaysMs/);
      const delaysMs = [10];
      const sandbox = new EcwidSandbox({ webhookRetry: { attempts: 2, delaysMs } });
      delaysMs[0] = -5;
      expect(sandbox['webhookRetry']).toEqual({ attempts: 2, delaysMs: [10] });
    });

    it('records network errors and gives up after the last attempt', async () => {
      const closed = await startReceiver();
      await closed.close();
      const failing = new EcwidSandbox({ webhookUrl: closed.url, webhookRetry: { attempts: 2, delaysMs: [5] } });
      failing.createOrder();
      await failing.waitForDeliveries();
      expect(failing.deliveries.map(({ attempt, status, delivered }) => ({ attempt, status, delivered }))).toEqual([
        { attempt: 1, status: undefined, delivered: false },
        { attempt: 2, status: undefined, delivered: false },
      ]);
      expect(failing.deliveries[0].error).toMatch(/ECONNREFUSED/);
    });

    it('delivers each event as often as webhookCopies says, one copy after the other, each retried on its own', async () => {
      const copying = new EcwidSandbox({
        webhookUrl: receiver.url,
        webhookRetry: { attempts: 2, delaysMs: [200] },
        webhookCopies: { count: 2 },
      });
      receiver.answers.push(500);
      copying.createOrder();
      await copying.waitForDeliveries();
      // The second copy goes out while the first waits for its retry.
      expect(copying.deliveries.map(({ copy, attempt, status }) => [copy, attempt, status])).toEqual([
        [1, 1, 500],
        [2, 1, 200],
        [1, 2, 200],
      ]);
      expect(new Set(receiver.received.map(({ body }) => body.eventId)).size).toBe(1);
      expect(() => new EcwidSandbox({ webhookCopies: { count: 0 } })).toThrow('webhookCopies.count must be a positive integer');
    });

    it('sends the copies at the same time when asked', async () => {
      // Answers 200 only once both copies are open; a copy still alone after 2 s gets 504.
      const open: ((status: number) => void)[] = [];
      const server = createServer((request, response) => {
        request.resume();
        open.push((status) => {
          response.statusCode = status;
          response.end();
        });
        if (open.length === 2) for (const answer of open.splice(0)) answer(200);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const alone = setInterval(() => {
        for (const answer of open.splice(0)) answer(504);
      }, 2000);
      try {
        const concurrent = new EcwidSandbox({
          webhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
          webhookCopies: { count: 2, concurrent: true },
        });
        concurrent.createOrder();
        await concurrent.waitForDeliveries();
        expect(concurrent.deliveries.map(({ copy, status }) => [copy, status]).sort()).toEqual([
          [1, 200],
          [2, 200],
        ]);
      } finally {
        clearInterval(alone);
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    it('sends later events while a failed delivery waits for its retry, and waits for that retry too', async () => {
      const retrying = new EcwidSandbox({ webhookUrl: receiver.url, webhookRetry: { attempts: 2, delaysMs: [400] } });
      receiver.answers.push(503);
      const first = retrying.createOrder();
      const second = retrying.createOrder();
      await retrying.waitForDeliveries();
      expect(retrying.deliveries.map(({ payload, attempt, status }) => [payload.entityId, attempt, status])).toEqual([
        [first.internalId, 1, 503],
        [second.internalId, 1, 200],
        [first.internalId, 2, 200],
      ]);
      const [failed, later, retried] = retrying.deliveries;
      expect(later.at - failed.at).toBeLessThan(400);
      expect(retried.at - failed.at).toBeGreaterThanOrEqual(400);
    });

    it('refuses a bad webhookCopies where it is set, and keeps its own frozen copy of a good one', async () => {
      const copying = new EcwidSandbox({ webhookUrl: receiver.url });
      expect(() => {
        copying.webhookCopies = { count: 0 };
      }).toThrow('webhookCopies.count must be a positive integer');
      const copies = { count: 2 };
      copying.webhookCopies = copies;
      copies.count = 0;
      expect(() => {
        (copying.webhookCopies as SandboxWebhookCopies).count = 0;
      }).toThrow(TypeError);

      const order = copying.createOrder();
      await copying.waitForDeliveries();
      expect(receiver.received.map(({ body }) => body.entityId)).toEqual([order.internalId, order.internalId]);
    });

    it('delivers a hand-made payload through the signed path and returns the status', async () => {
      const payload: EcwidWebhookPayload = {
        eventId: 'hand-made-1',
        eventCreated: 1234567,
        storeId: 1003,
        entityId: 450012387,
        eventType: 'order.updated',
        data: { orderId: 'B8HGD', oldPaymentStatus: 'PAID', newPaymentStatus: 'PAID' },
      };
      receiver.answers.push(401);
      expect(await sandbox.deliverWebhook(payload)).toBe(401);
      expect(receiver.received[0].body).toEqual(payload);
      expect(receiver.received[0].url).toBe('/hooks?eventtype=order.updated');
      expectValidSignature(receiver.received[0], sandbox.clientSecret);
      expect(sandbox.deliveries[0]).toMatchObject({ payload, status: 401, delivered: false, attempt: 1 });
    });

    it('abandons a pending retry on reset', async () => {
      const retrying = new EcwidSandbox({ webhookUrl: receiver.url, webhookRetry: { attempts: 2, delaysMs: [60_000] } });
      receiver.answers.push(500);
      retrying.createOrder();
      while (retrying.deliveries.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      retrying.reset();
      await retrying.waitForDeliveries();
      expect(retrying.deliveries).toHaveLength(0);
      expect(receiver.received).toHaveLength(1);
    });
  });

  describe('rate limit', () => {
    it('answers 429 RATE_LIMITED with Retry-After once the rolling window is full', async () => {
      let now = SAMPLE_MS;
      const limited = await new EcwidSandbox({ rateLimit: { requestsPerMinute: 3 }, now: () => now }).start();
      const get = (token = limited.token) =>
        fetch(`${limited.apiBaseUrl}/${limited.storeId}/orders`, { headers: { authorization: `Bearer ${token}` } });
      try {
        expect((await get()).status).toBe(200);
        now += 20_000;
        expect((await get()).status).toBe(200);
        expect((await get()).status).toBe(200);
        expect((await get('secret_wrong')).status).toBe(403);

        const refused = await get();
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toBe('40');
        expect(await errorCodeOf(refused)).toBe('RATE_LIMITED');

        now += 39_500;
        const almost = await get();
        expect([almost.status, almost.headers.get('retry-after')]).toEqual([429, '1']);
        now += 500;
        expect((await get()).status).toBe(200);
        expect((await get()).status).toBe(429);
      } finally {
        await limited.stop();
      }
    });
  });

  describe('faults', () => {
    it('answers an injected status the given number of times with Ecwid error bodies', async () => {
      sandbox.injectFault({ status: 500, times: 2 });
      const first = await call('GET', '/orders');
      const second = await call('GET', '/orders');
      const third = await call('GET', '/orders');
      expect([first.status, second.status, third.status]).toEqual([500, 500, 200]);
      expect(first.json).toEqual({ errorMessage: 'Injected fault: HTTP 500', errorCode: 'INTERNAL_ERROR' });
      expect(sandbox.requests.map((request) => request.status)).toEqual([500, 500, 200]);
    });

    it('adds Retry-After to an injected 429 and picks the 404 code from the path', async () => {
      sandbox.injectFault({ status: 429, retryAfterSeconds: 7 });
      sandbox.injectFault({ status: 404, match: { path: /^\/orders\/.+/ } });
      const limited = await call('GET', '/orders');
      expect([limited.status, limited.headers.get('retry-after'), limited.json.errorCode]).toEqual([429, '7', 'RATE_LIMITED']);
      const missing = await call('GET', '/orders/ABCDE');
      expect([missing.status, missing.json.errorCode]).toEqual([404, 'ORDER_NOT_FOUND']);
    });

    it('matches faults by method and exact path', async () => {
      const order = sandbox.createOrder();
      sandbox.injectFault({ status: 503, match: { method: 'put', path: `/orders/${order.id}` } });
      expect((await call('GET', `/orders/${order.id}`)).status).toBe(200);
      expect((await call('PUT', '/orders/OTHER', {})).status).toBe(404);
      expect((await call('PUT', `/orders/${order.id}`, {})).status).toBe(503);
      expect((await call('PUT', `/orders/${order.id}`, {})).status).toBe(200);
    });

    it('keeps an Infinity fault until clearFaults', async () => {
      sandbox.injectFault({ status: 502, times: Infinity });
      for (let attempt = 0; attempt < 5; attempt++) {
        expect((await call('GET', '/orders')).status).toBe(502);
      }
      sandbox.clearFaults();
      expect((await call('GET', '/orders')).status).toBe(200);
    });

    it('delays an answer long enough for a client timeout, then answers normally', async () => {
      sandbox.injectFault({ delayMs: 300 });
      await expect(
        fetch(storeUrl('/orders'), { headers: auth(), signal: AbortSignal.timeout(50) }),
      ).rejects.toThrow();
      const started = Date.now();
      expect((await call('GET', '/orders')).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(250);
    });

    it('delays a faulted status too', async () => {
      sandbox.injectFault({ delayMs: 150, status: 500 });
      const started = Date.now();
      expect((await call('GET', '/orders')).status).toBe(500);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('makes the change and then drops the connection for loseAnswer', async () => {
      const order = sandbox.createOrder();
      sandbox.injectFault({ loseAnswer: true, match: { method: 'DELETE' } });
      await expect(fetch(storeUrl(`/orders/${order.id}`), { method: 'DELETE', headers: auth() })).rejects.toThrow('fetch failed');
      expect(sandbox.getOrder(order.id)).toBeUndefined();
      expect(sandbox.requests.map((request) => request.status)).toEqual([0]);
    });

    it('sends the headers at once and the body a byte at a time for trickleMs', async () => {
      sandbox.injectFault({ trickleMs: 20 });
      const started = Date.now();
      const response = await fetch(storeUrl('/orders'), { headers: auth() });
      const headersAfter = Date.now() - started;
      const body = await response.json();
      const bodyAfter = Date.now() - started;
      expect(body).toMatchObject({ total: 0, items: [] });
      // About 55 bytes at 20 ms each.
      expect(headersAfter).toBeLessThan(bodyAfter / 4);
      expect(bodyAfter).toBeGreaterThanOrEqual(50 * 20);
    });

    it('drops the connection without an answer', async () => {
      sandbox.injectFault({ drop: true });
      await expect(fetch(storeUrl('/orders'), { headers: auth() })).rejects.toThrow('fetch failed');
      expect((await call('GET', '/orders')).status).toBe(200);
      expect(sandbox.requests.map((request) => request.status)).toEqual([0, 200]);
    });
  });

  describe('lifecycle', () => {
    it('stops promptly even with a request held by a delay fault', async () => {
      const other = await new EcwidSandbox().start();
      other.injectFault({ delayMs: 10_000 });
      const outcome = fetch(`${other.apiBaseUrl}/${other.storeId}/orders`, {
        headers: { authorization: `Bearer ${other.token}` },
      }).then(
        () => 'answered',
        () => 'failed',
      );
      await sleep(100);
      const started = Date.now();
      await other.stop();
      expect(await outcome).toBe('failed');
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it('drops a request held by a delay fault on reset, so it changes nothing in the fresh store', async () => {
      const receiver = await startReceiver();
      sandbox.webhookUrl = receiver.url;
      sandbox.createOrder({ id: 'HELD1' });
      sandbox.injectFault({ delayMs: 300, times: 2 });
      const send = (method: string, path: string, body?: unknown): Promise<number | string> =>
        fetch(storeUrl(path), {
          method,
          headers: { ...auth(), 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        }).then(
          (response) => response.status,
          () => 'dropped',
        );
      const created = send('POST', '/orders', { email: 'held@example.com' });
      const deleted = send('DELETE', '/orders/HELD1');
      await sleep(100);

      sandbox.reset();
      sandbox.createOrder({ id: 'HELD1' });
      expect(await Promise.all([created, deleted])).toEqual(['dropped', 'dropped']);
      await sleep(300);
      await sandbox.waitForDeliveries();
      expect(sandbox.listOrders().map((order) => order.id)).toEqual(['HELD1']);
      expect(sandbox.requests).toEqual([]);
      expect(sandbox.deliveries.map(({ payload }) => [payload.eventType, payload.data?.orderId])).toEqual([['order.created', 'HELD1']]);
      await receiver.close();
    });

    it('drops a request whose body was still arriving at reset, before it can use up a fault set for the fresh store', async () => {
      const body = JSON.stringify({ email: 'late@example.com' });
      const socket = connect(sandbox.port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write(
        `POST /api/v3/${sandbox.storeId}/orders HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer ${sandbox.token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 4)}`,
      );
      await sleep(50);

      sandbox.reset();
      sandbox.injectFault({ status: 503, times: 1 });
      socket.end(body.slice(4));
      await once(socket, 'close');
      expect((await call('GET', '/orders')).status).toBe(503);
      expect((await call('GET', '/orders')).status).toBe(200);
      expect(sandbox.listOrders()).toEqual([]);
    });

    it('cuts off an answer trickling out on reset', async () => {
      sandbox.injectFault({ trickleMs: 50 });
      const response = await fetch(storeUrl('/orders'), { headers: auth() });
      sandbox.reset();
      const started = Date.now();
      await expect(response.text()).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(500);
    });

    it('reset drops orders, history, requests, deliveries and faults', async () => {
      const receiver = await startReceiver();
      sandbox.webhookUrl = receiver.url;
      const order = sandbox.createOrder();
      sandbox.deleteOrder(sandbox.createOrder().id);
      await call('GET', '/orders');
      await sandbox.waitForDeliveries();
      sandbox.injectFault({ status: 500 });

      sandbox.reset();
      expect([sandbox.listOrders().length, sandbox.requests.length, sandbox.deliveries.length]).toEqual([0, 0, 0]);
      expect(sandbox.getOrder(order.id)).toBeUndefined();
      const history = await call('GET', '/orders/deleted');
      expect([history.status, history.json.total]).toEqual([200, 0]);
      sandbox.webhookUrl = undefined;
      expect(sandbox.createOrder().internalId).toBe(order.internalId);
      await receiver.close();
    });
  });
});

describe('EcwidCallbackReceiver', () => {
  it('survives a sender that goes away mid-body, and goes on recording notifications', async () => {
    const receiver = await new EcwidCallbackReceiver().start();
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => {
      rejections.push(reason);
    };
    process.on('unhandledRejection', onRejection);
    try {
      const { port } = new URL(receiver.url);
      const socket = connect(Number(port), '127.0.0.1');
      await once(socket, 'connect');
      socket.write('POST /notifications HTTP/1.1\r\nHost: receiver\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ev');
      await sleep(50);
      socket.destroy();
      await sleep(50);

      const answer = await fetch(receiver.url, { method: 'POST', body: JSON.stringify({ message: 'after the drop' }) });
      expect(answer.status).toBe(200);
      expect(receiver.received.map((notification) => notification.body)).toEqual([{ message: 'after the drop' }]);
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
      await receiver.stop();
    }
  });
});

async function errorCodeOf(response: Response): Promise<string | undefined> {
  return ((await response.json()) as { errorCode?: string }).errorCode;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

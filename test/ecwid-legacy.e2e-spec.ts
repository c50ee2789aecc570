import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { Test, TestingModule } from '@nestjs/testing';
import { EcwidApiError, EcwidModule, EcwidModuleOptions, EcwidNotConfiguredError, EcwidOrdersService } from 'nestjs-ecwid';
import { EcwidSandbox } from 'nestjs-ecwid/testing';
import seedInstance from './fixtures/seed-instance.json';
import { CapturingLogger } from './support/logger';

/**
 * Characters that URL encoding changes, and that percent- and form-encoding spell differently (`!`, `(`, `)`), so
 * every spelling of the key in a URL is checked. No whitespace: the module refuses a key with any.
 */
const ORDER_KEY = 'legacy!order/key+value=1(x)';
const ENCODED_KEYS = [ORDER_KEY, encodeURIComponent(ORDER_KEY), new URLSearchParams({ k: ORDER_KEY }).toString().slice(2)];
const FAST_RETRIES = { retryBaseDelayMs: 5, retryMaxDelayMs: 20, timeoutMs: 2000 };

function expectNoKey(text: string): void {
  for (const key of ENCODED_KEYS) expect(text).not.toContain(key);
}

describe('EcwidOrdersService over the legacy Order API (v1)', () => {
  const sandbox = new EcwidSandbox({ orderKey: ORDER_KEY });
  const logger = new CapturingLogger();
  const refs: TestingModule[] = [];
  let orders: EcwidOrdersService;

  /** The Cloud Elements seed instance, pointed at the sandbox; memory state and no callback, which play no part here. */
  function seedOptions(configuration: Record<string, string> = {}, options: Partial<EcwidModuleOptions> = {}): EcwidModuleOptions {
    return {
      ...seedInstance,
      configuration: {
        ...seedInstance.configuration,
        'ecwid.store.id': String(sandbox.storeId),
        'ecwid.order.key': sandbox.orderKey,
        'ecwid.api.base.url': sandbox.apiBaseUrl,
        'event.notification.enabled': 'false',
        ...configuration,
      },
      http: FAST_RETRIES,
      state: { type: 'memory' },
      ...options,
    };
  }

  async function ordersWith(options: EcwidModuleOptions): Promise<EcwidOrdersService> {
    const ref = await Test.createTestingModule({ imports: [EcwidModule.forRoot(options)] })
      .setLogger(logger)
      .compile();
    await ref.init();
    refs.push(ref);
    return ref.get(EcwidOrdersService);
  }

  const lastRequest = () => sandbox.requests[sandbox.requests.length - 1];

  beforeAll(async () => {
    await sandbox.start();
    orders = await ordersWith(seedOptions());
  });
  afterAll(async () => {
    for (const ref of refs) await ref.close();
    await sandbox.stop();
  });
  beforeEach(() => {
    sandbox.reset();
    sandbox.webhookUrl = undefined;
  });

  it("ends a legacy call on the caller's signal: nothing sent once aborted, a request under way cut off", async () => {
    const placed = sandbox.createOrder({ paymentStatus: 'AWAITING_PAYMENT' });
    const gaveUp = new Error('caller gave up');
    const controller = new AbortController();
    controller.abort(gaveUp);
    const { signal } = controller;
    await expect(orders.search({}, { signal })).rejects.toBe(gaveUp);
    await expect(orders.get(String(placed.internalId), { signal })).rejects.toBe(gaveUp);
    await expect(orders.update(String(placed.internalId), { paymentStatus: 'PAID' }, { signal })).rejects.toBe(gaveUp);
    await expect(orders.iterate({}, { signal }).next()).rejects.toBe(gaveUp);
    expect(sandbox.requests).toEqual([]);
    expect(sandbox.getOrder(placed.id)?.paymentStatus).toBe('AWAITING_PAYMENT');

    // An attempt may take a minute, past the test's own timeout: only the signal can end the call in time.
    const patient = await ordersWith(seedOptions({}, { http: { ...FAST_RETRIES, maxRetries: 0, timeoutMs: 60_000 } }));
    sandbox.injectFault({ delayMs: 120_000 });
    await expect(patient.search({}, { signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ name: 'TimeoutError' });
    sandbox.reset();
  });

  it('reads orders from /api/v1 with the key in the query and maps them onto the v3 model', async () => {
    const placed = sandbox.createOrder({ paymentStatus: 'PAID', email: 'ada@example.com', total: 42, trackingNumber: 'TRK1' });
    sandbox.createOrder({ paymentStatus: 'AWAITING_PAYMENT' });

    const page = await orders.search({ paymentStatus: 'PAID' });

    expect(lastRequest()).toMatchObject({ method: 'GET', path: `/api/v1/${sandbox.storeId}/orders`, authorization: undefined });
    expect(lastRequest().query).toMatchObject({ secure_auth_key: ORDER_KEY, statuses: 'ACCEPTED' });
    expect(page).toMatchObject({ total: 1, count: 1, offset: 0, limit: 100 });
    expect(page.items[0]).toMatchObject({
      id: String(placed.internalId),
      internalId: placed.internalId,
      orderNumber: placed.internalId,
      vendorOrderNumber: placed.id,
      email: 'ada@example.com',
      total: 42,
      paymentStatus: 'PAID',
      fulfillmentStatus: 'AWAITING_PROCESSING',
      trackingNumber: 'TRK1',
      createDate: placed.createDate,
      createTimestamp: placed.createTimestamp,
      updateTimestamp: placed.updateTimestamp,
    });
  });

  it("maps v3 filters onto the legacy query names, and statuses onto every legacy code they cover", async () => {
    await orders.search({
      createdFrom: new Date('2024-05-01T05:26:28Z'),
      createdTo: '2024-05-31 23:00:00',
      updatedFrom: 1714541188,
      updatedTo: '2024-06-01',
      email: 'ada@example.com',
      customerId: 77,
      paymentStatus: ['AWAITING_PAYMENT', 'CANCELLED'],
      fulfillmentStatus: 'AWAITING_PROCESSING',
      ids: ['400000001'],
      offset: 10,
      limit: 150,
    });
    const { secure_auth_key: _key, ...query } = lastRequest().query;
    expect(query).toEqual({
      from_date: '2024-05-01',
      to_date: '2024-05-31',
      from_update_date: '2024-05-01',
      to_update_date: '2024-06-01',
      customer_email: 'ada@example.com',
      customer_id: '77',
      statuses: 'QUEUED,CHARGEABLE,DECLINED,CANCELLED,NEW',
      order: '400000001',
      offset: '10',
      limit: '150',
    });
  });

  it('takes a bound written with an offset to its UTC day, which may be the day before or after the one written', async () => {
    await orders.search({
      createdFrom: '2024-05-01 01:00:00 +0300',
      createdTo: '2024-04-30T22:30:00-03:00',
      updatedFrom: '2024-05-01T00:30:00Z',
      updatedTo: '2024-05-31 23:00:00',
    });
    expect(lastRequest().query).toMatchObject({
      from_date: '2024-04-30',
      to_date: '2024-05-01',
      from_update_date: '2024-05-01',
      to_update_date: '2024-05-31',
    });
  });

  it('filters the way the legacy API does', async () => {
    sandbox.seedOrders(12, (i) => ({
      paymentStatus: i % 3 === 0 ? 'PAID' : 'AWAITING_PAYMENT',
      fulfillmentStatus: i % 2 === 0 ? 'SHIPPED' : 'AWAITING_PROCESSING',
      email: `c${i}@example.com`,
    }));
    const paidShipped = await orders.search({ paymentStatus: 'PAID', fulfillmentStatus: 'SHIPPED' });
    expect(paidShipped.items.map((o) => [o.paymentStatus, o.fulfillmentStatus])).toEqual([
      ['PAID', 'SHIPPED'],
      ['PAID', 'SHIPPED'],
    ]);
    expect((await orders.search({ email: 'C7@example.com' })).items.map((o) => o.email)).toEqual(['c7@example.com']);
    expect((await orders.search({ createdFrom: new Date(Date.now() + 2 * 86_400_000) })).total).toBe(0);
  });

  it('visits every order once while the walk moves each out of the filter, as the v3 walk does', async () => {
    sandbox.seedOrders(450, () => ({ paymentStatus: 'AWAITING_PAYMENT' }));
    const visited = new Set<string>();
    for await (const order of orders.iterate({ paymentStatus: 'AWAITING_PAYMENT' })) {
      visited.add(order.id);
      await orders.update(String(order.internalId), { paymentStatus: 'PAID' });
    }
    expect(visited.size).toBe(450);
    expect(sandbox.listOrders().filter((order) => order.paymentStatus !== 'PAID')).toEqual([]);
  });

  it('iterates every order, 200 a page', async () => {
    sandbox.seedOrders(450, (i) => ({ total: i }));
    sandbox.clearRequests();
    const seen: number[] = [];
    for await (const order of orders.iterate()) seen.push(order.total as number);
    expect(seen).toHaveLength(450);
    expect(new Set(seen).size).toBe(450);
    expect(sandbox.requests.map((r) => [r.path, r.query.offset ?? '0', r.query.limit, r.query.secure_auth_key])).toEqual([
      [`/api/v1/${sandbox.storeId}/orders`, '0', '200', ORDER_KEY],
      [`/api/v1/${sandbox.storeId}/orders`, '200', '200', ORDER_KEY],
      [`/api/v1/${sandbox.storeId}/orders`, '400', '200', ORDER_KEY],
    ]);
  });

  it('gets an order by its number, and null for a number the store does not have', async () => {
    const placed = sandbox.createOrder({ email: 'grace@example.com' });
    expect(await orders.get(String(placed.internalId))).toMatchObject({ id: String(placed.internalId), email: 'grace@example.com' });
    expect(lastRequest().query).toMatchObject({ order: String(placed.internalId), limit: '1' });
    expect(await orders.get('999999999')).toBeNull();
  });

  it('updates statuses and the tracking number through the legacy POST, which Ecwid reports as a v3 webhook too', async () => {
    sandbox.webhookUrl = 'http://127.0.0.1:9/unreachable';
    const placed = sandbox.createOrder();

    const patch = { paymentStatus: 'PAID', fulfillmentStatus: 'SHIPPED', trackingNumber: 'TRK9' } as const;
    const result = await orders.update(String(placed.internalId), patch);

    expect(result).toEqual({ updateCount: 1 });
    expect(lastRequest()).toMatchObject({ method: 'POST', path: `/api/v1/${sandbox.storeId}/orders` });
    expect(lastRequest().query).toMatchObject({
      order: String(placed.internalId),
      new_payment_status: 'ACCEPTED',
      new_fulfillment_status: 'SHIPPED',
      new_shipping_tracking_code: 'TRK9',
    });
    expect(sandbox.getOrder(placed.id)).toMatchObject({ paymentStatus: 'PAID', fulfillmentStatus: 'SHIPPED', trackingNumber: 'TRK9' });
    await sandbox.waitForDeliveries();
    expect(sandbox.deliveries.map((d) => [d.payload.eventType, d.payload.data])).toContainEqual([
      'order.updated',
      expect.objectContaining({ oldPaymentStatus: 'AWAITING_PAYMENT', newPaymentStatus: 'PAID', newFulfillmentStatus: 'SHIPPED' }),
    ]);
    expect(await orders.update('999999999', { paymentStatus: 'PAID' })).toEqual({ updateCount: 0 });
  });

  it('accepts legacy codes in a raw status update, which read back as v3 statuses', async () => {
    const placed = sandbox.createOrder({ paymentStatus: 'PAID' });
    for (const [code, status] of [
      ['QUEUED', 'AWAITING_PAYMENT'],
      ['CHARGEABLE', 'AWAITING_PAYMENT'],
      ['DECLINED', 'CANCELLED'],
      ['ACCEPTED', 'PAID'],
    ]) {
      const query = new URLSearchParams({ secure_auth_key: ORDER_KEY, order: String(placed.internalId), new_payment_status: code });
      const res = await fetch(`${sandbox.url}/api/v1/${sandbox.storeId}/orders?${query}`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect((await orders.get(String(placed.internalId)))?.paymentStatus).toBe(status);
    }
  });

  it('refuses an empty list filter and list elements a comma list cannot carry, before sending, as the v3 client does', async () => {
    sandbox.seedOrders(3);
    sandbox.clearRequests();
    // The legacy API drops an empty statuses filter: every order would match.
    const everyOrder = new RangeError('paymentStatus: an empty list would match every order');
    await expect(orders.search({ paymentStatus: [] })).rejects.toThrow(everyOrder);
    await expect(orders.iterate({ fulfillmentStatus: [''] }).next()).rejects.toThrow(/^fulfillmentStatus: an empty list/);
    await expect(orders.search({ ids: [] })).rejects.toThrow(new RangeError('ids: an empty list would match every order'));
    await expect(orders.search({ paymentStatus: '' })).rejects.toThrow(everyOrder);
    for (const element of [new Date(), { id: 1 }, NaN] as unknown[]) {
      await expect(orders.search({ paymentStatus: [element as string] })).rejects.toThrow(/^paymentStatus: a list may hold only/);
      await expect(orders.search({ ids: [element as string] })).rejects.toThrow(TypeError);
    }
    expect(sandbox.requests).toHaveLength(0);
  });

  it('throws a clear error, before sending anything, for what only the v3 API can do', async () => {
    const placed = sandbox.createOrder();
    sandbox.clearRequests();
    const number = String(placed.internalId);
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['create', () => orders.create({ email: 'x@example.com' })],
      ['delete', () => orders.delete(number)],
      ['deleted', () => orders.deleted()],
      ['iterateDeleted', () => orders.iterateDeleted().next()],
      ['update of another field', () => orders.update(number, { email: 'x@example.com' })],
      ['an unsupported filter', () => orders.search({ keywords: 'ada' })],
      ['several ids', () => orders.search({ ids: [number, '400000002'] })],
      ['a string id', () => orders.get(placed.id)],
      ['responseFields on get', () => orders.get(number, { responseFields: 'id' })],
      ['responseFields on search', () => orders.search({ responseFields: 'items(id)' })],
    ];
    for (const [what, attempt] of attempts) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect([what, error]).toEqual([what, expect.any(EcwidNotConfiguredError)]);
      expect((error as Error).message).toMatch(/REST API v3 token \(option "token", instance key "ecwid.api.token", env ECWID_TOKEN\)/);
    }
    expect(sandbox.requests).toHaveLength(0);
  });

  it("allows the legacy API's larger pages and refuses larger ones before sending", async () => {
    sandbox.seedOrders(201);
    expect((await orders.search({ limit: 200 })).count).toBe(200);
    sandbox.clearRequests();
    await expect(orders.search({ limit: 201 })).rejects.toThrow(RangeError);
    await expect(orders.iterate({ limit: 0 }).next()).rejects.toThrow(RangeError);
    expect(sandbox.requests).toHaveLength(0);
  });

  it('retries a failing call, then throws EcwidApiError naming the path without the query', async () => {
    sandbox.injectFault({ status: 503, times: 2, match: { path: '/orders' } });
    expect((await orders.search()).total).toBe(0);

    sandbox.injectFault({ status: 500, times: Infinity, match: { path: '/orders' } });
    const error = await orders.search().catch((e: unknown) => e);
    sandbox.clearFaults();
    expect(error).toBeInstanceOf(EcwidApiError);
    expect(error).toMatchObject({ method: 'GET', path: '/orders', status: 500, failure: 'http', attempts: 5 });
  });

  it('holds each attempt to timeoutMs and heeds a 5xx Retry-After, as the v3 client does', async () => {
    const strict = await ordersWith(seedOptions({}, { http: { ...FAST_RETRIES, timeoutMs: 300, maxRetries: 0 } }));
    sandbox.injectFault({ trickleMs: 40, match: { path: '/orders' } });
    await expect(strict.search()).rejects.toMatchObject({ failure: 'timeout', path: '/orders', attempts: 1 });

    sandbox.clearRequests();
    sandbox.injectFault({ status: 503, retryAfterSeconds: 5, match: { path: '/orders' } });
    await expect(orders.search()).rejects.toMatchObject({ status: 503, attempts: 1, retryAfterSeconds: 5 });
    expect(sandbox.requests).toHaveLength(1);
  });

  it('stops retrying once the application shuts down, as the v3 client does', async () => {
    const ref = await Test.createTestingModule({
      imports: [EcwidModule.forRoot(seedOptions({}, { http: { maxRetries: 4, retryBaseDelayMs: 5, retryMaxDelayMs: 5000 } }))],
    })
      .setLogger(logger)
      .compile();
    await ref.init();
    sandbox.injectFault({ status: 503, retryAfterSeconds: 3, times: Infinity, match: { path: '/orders' } });
    const call = ref.get(EcwidOrdersService).search().catch((e: unknown) => e);
    while (sandbox.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await ref.close();
    expect(await call).toMatchObject({ status: 503, attempts: 1 });
    expect(sandbox.requests).toHaveLength(1);
  });

  it('keeps the key out of errors, their JSON and inspection, the service, and every log line', async () => {
    const wrongKeyOrders = await ordersWith(seedOptions({ 'ecwid.order.key': `${ORDER_KEY}-wrong` }));
    const error = await wrongKeyOrders.search().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(EcwidApiError);
    expect(error).toMatchObject({ status: 403, path: '/orders', failure: 'http' });
    expect((error as EcwidApiError).errorMessage).toMatch(/secure_auth_key/);
    for (const text of [String(error), (error as Error).stack ?? '', JSON.stringify(error), inspect(error, { depth: 10 })]) {
      expectNoKey(text);
    }
    for (const service of [orders, wrongKeyOrders]) {
      expectNoKey(`${JSON.stringify(service)} ${inspect(service, { depth: 10 })}`);
    }
    expect(logger.lines.length).toBeGreaterThan(0);
    for (const line of logger.lines) expectNoKey(line);
  });

  it("never answers one of the sandbox's legacy queries from another whose values only join to the same text", async () => {
    sandbox.seedOrders(2, (i) => ({ email: `c${i}@example.com`, paymentStatus: 'PAID' }));
    const total = async (filters: string): Promise<number> => {
      const response = await fetch(`${sandbox.url}/api/v1/${sandbox.storeId}/orders?secure_auth_key=${encodeURIComponent(ORDER_KEY)}&${filters}`);
      return ((await response.json()) as { total: number }).total;
    };
    expect(await total('customer_email=c0%40example.com&statuses=PAID')).toBe(1);
    // One address holding "&statuses=PAID": no order has it, however the previous query was cached.
    expect(await total(`customer_email=${encodeURIComponent('c0@example.com&statuses=PAID')}`)).toBe(0);
  });

  it("serves the sandbox's legacy endpoint as Ecwid's: key checked, absolute nextUrl carrying it, 200 orders at most", async () => {
    sandbox.seedOrders(3);
    const ordersUrl = `${sandbox.url}/api/v1/${sandbox.storeId}/orders`;
    const missing = await fetch(ordersUrl);
    const wrong = await fetch(`${ordersUrl}?secure_auth_key=nope`);
    expect([missing.status, wrong.status]).toEqual([403, 403]);
    expect(wrong.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await wrong.text()).not.toContain('nope');

    const firstPage = await fetch(`${ordersUrl}?${new URLSearchParams({ secure_auth_key: ORDER_KEY, limit: '2' })}`);
    const first = (await firstPage.json()) as { nextUrl: string };
    expect(first).toMatchObject({ count: 2, total: 3 });
    const next = new URL(first.nextUrl);
    expect([next.origin, next.pathname, next.searchParams.get('secure_auth_key'), next.searchParams.get('offset')]).toEqual([
      sandbox.url,
      `/api/v1/${sandbox.storeId}/orders`,
      ORDER_KEY,
      '2',
    ]);
    const last = await (await fetch(first.nextUrl)).json();
    expect(last).toMatchObject({ count: 1, total: 3 });
    expect(last).not.toHaveProperty('nextUrl');
    expect((await fetch(`${ordersUrl}?${new URLSearchParams({ secure_auth_key: ORDER_KEY, limit: '201' })}`)).status).toBe(400);
  });

  describe('against a scripted legacy server', () => {
    let server: Server;
    let answer: (url: string) => { status: number; type: string; body: string };
    const seen: string[] = [];

    beforeAll(async () => {
      server = createServer((req, res) => {
        seen.push(req.url ?? '');
        const { status, type, body } = answer(req.url ?? '');
        res.writeHead(status, { 'content-type': type }).end(body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => {
      seen.length = 0;
    });

    const scriptedOrders = () =>
      ordersWith(seedOptions({ 'ecwid.api.base.url': `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3` }));

    it('redacts the key from an error page that quotes the request URL', async () => {
      answer = (url) => ({ status: 403, type: 'text/plain', body: `Forbidden: ${url}` });
      const error = (await (await scriptedOrders()).get('1').catch((e: unknown) => e)) as EcwidApiError;
      expect(error.errorMessage).toMatch(/^Forbidden: \/api\/v1\/1003\/orders\?.*\[redacted\]/);
      expectNoKey(`${error.message} ${JSON.stringify(error)}`);
      // Quoted as a JSON error code: not one of Ecwid's codes, so left out.
      answer = (url) => ({ status: 403, type: 'application/json', body: JSON.stringify({ errorCode: `Forbidden ${url}` }) });
      const coded = (await (await scriptedOrders()).get('1').catch((e: unknown) => e)) as EcwidApiError;
      expect(coded).toMatchObject({ status: 403, errorCode: undefined });
      expectNoKey(`${coded.message} ${coded.stack} ${JSON.stringify(coded)}`);
    });

    it('maps each legacy status code onto v3, and reads a timestamp only from a date with a UTC offset', async () => {
      const legacy = [
        { number: 1, paymentStatus: 'ACCEPTED', fulfillmentStatus: 'NEW', created: '2024-05-01 09:26:28 +0400' },
        { number: 2, paymentStatus: 'QUEUED', fulfillmentStatus: 'PROCESSING', created: '2024-05-01 05:26:28' },
        { number: 3, paymentStatus: 'CHARGEABLE', fulfillmentStatus: 'SHIPPED' },
        { number: 4, paymentStatus: 'DECLINED', fulfillmentStatus: 'WILL_NOT_DELIVER' },
        { number: 5, paymentStatus: 'REFUNDED', fulfillmentStatus: 'RETURNED', customerName: 'Ada' },
      ];
      answer = () => ({ status: 200, type: 'application/json', body: JSON.stringify({ count: 5, total: 5, orders: legacy }) });
      const page = await (await scriptedOrders()).search();
      expect(page.items.map((o) => [o.id, o.paymentStatus, o.fulfillmentStatus])).toEqual([
        ['1', 'PAID', 'AWAITING_PROCESSING'],
        ['2', 'AWAITING_PAYMENT', 'PROCESSING'],
        ['3', 'AWAITING_PAYMENT', 'SHIPPED'],
        ['4', 'CANCELLED', 'WILL_NOT_DELIVER'],
        ['5', 'REFUNDED', 'RETURNED'],
      ]);
      expect(page.items[0]).toMatchObject({ createDate: '2024-05-01 09:26:28 +0400', createTimestamp: 1714541188 });
      expect(page.items[1].createDate).toBe('2024-05-01 05:26:28');
      expect(page.items[1]).not.toHaveProperty('createTimestamp');
      expect(page.items[4]).toMatchObject({ customerName: 'Ada' });
    });

    it('pages by offset and never follows a nextUrl, so a foreign host in one never receives the key', async () => {
      answer = (url) => {
        const offset = Number(new URL(url, 'http://x').searchParams.get('offset') ?? 0);
        const nextUrl = offset === 0 ? 'http://elsewhere.invalid/steal?offset=1&limit=1&secure_auth_key=theirs' : null;
        const page = { count: 1, total: 2, nextUrl, orders: [{ number: offset + 1 }] };
        return { status: 200, type: 'application/json', body: JSON.stringify(page) };
      };
      const numbers: number[] = [];
      for await (const order of (await scriptedOrders()).iterate({ limit: 1 })) numbers.push(order.internalId);
      expect(numbers).toEqual([1, 2]);
      const second = new URL(seen[1], 'http://x');
      expect(second.pathname).toBe('/api/v1/1003/orders');
      expect(Object.fromEntries(second.searchParams)).toEqual({ offset: '1', limit: '1', secure_auth_key: ORDER_KEY });
    });
  });

  it('uses the v3 API when a v3 token is given too, and says so once at boot', async () => {
    const linesBefore = logger.lines.length;
    const v3 = await ordersWith(seedOptions({ 'ecwid.api.token': sandbox.token }));
    const booted = logger.lines.slice(linesBefore);
    expect(booted.filter((line) => line.includes('v3 token present: the legacy API keys are not used'))).toHaveLength(1);

    sandbox.createOrder();
    await v3.search();
    expect(lastRequest()).toMatchObject({ path: `/api/v3/${sandbox.storeId}/orders`, authorization: `Bearer ${sandbox.token}` });
    expect(lastRequest().query).not.toHaveProperty('secure_auth_key');
    expect(logger.lines.filter((line) => line.includes('legacy API keys are not used'))).toHaveLength(1);
  });
});

import { execFile } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { inspect, promisify } from 'node:util';
import { Test, TestingModule } from '@nestjs/testing';
import { EcwidApiError, EcwidModule, EcwidModuleOptions, EcwidNotConfiguredError, EcwidOrdersService } from 'nestjs-ecwid';
import { EcwidSandbox } from 'nestjs-ecwid/testing';
import { ECWID_HTTP_CLIENT } from '../src/ecwid.constants';
import { CapturingLogger } from './support/logger';

describe('EcwidOrdersService against the sandbox', () => {
  let sandbox: EcwidSandbox;
  let moduleRef: TestingModule;
  let orders: EcwidOrdersService;

  /** A module of its own for `store`, with the module's defaults but for `options`. */
  async function ordersOn(store: EcwidSandbox, options: Partial<EcwidModuleOptions> = {}): Promise<[EcwidOrdersService, TestingModule]> {
    const ref = await Test.createTestingModule({
      imports: [EcwidModule.forRoot({ storeId: store.storeId, token: store.token, apiBaseUrl: store.apiBaseUrl, ...options })],
    }).compile();
    return [ref.get(EcwidOrdersService), ref];
  }

  /** A module of its own for the shared sandbox, with quick retries. */
  const ordersWith = (overrides: Partial<EcwidModuleOptions> = {}): Promise<[EcwidOrdersService, TestingModule]> =>
    ordersOn(sandbox, { http: { retryBaseDelayMs: 5, retryMaxDelayMs: 20, timeoutMs: 2000 }, ...overrides });

  beforeAll(async () => {
    sandbox = await new EcwidSandbox().start();
    [orders, moduleRef] = await ordersWith();
  });
  afterAll(async () => {
    await moduleRef.close();
    await sandbox.stop();
  });
  beforeEach(() => sandbox.reset());

  const lastRequest = () => sandbox.requests[sandbox.requests.length - 1];

  it('creates, reads, updates and deletes an order', async () => {
    const created = await orders.create({ email: 'ada@example.com', total: 10, paymentStatus: 'AWAITING_PAYMENT' });
    expect(created).toEqual({ id: expect.any(Number), orderId: expect.any(String) });
    const order = await orders.get(created.orderId);
    expect(order).toMatchObject({ id: created.orderId, internalId: created.id, email: 'ada@example.com', total: 10 });

    expect(await orders.update(created.orderId, { paymentStatus: 'PAID' })).toEqual({ updateCount: 1 });
    expect((await orders.get(created.orderId))?.paymentStatus).toBe('PAID');
    expect((await orders.get(created.orderId))?.email).toBe('ada@example.com');

    expect(await orders.delete(created.orderId)).toEqual({ deleteCount: 1 });
    expect(await orders.get(created.orderId)).toBeNull();
    const history = await orders.deleted({ from: new Date(Date.now() - 60_000) });
    expect(history.items.map((d) => d.id)).toEqual([created.id]);
  });

  it("tells Ecwid's clock from the Date header of its last successful answer", async () => {
    const [fresh, ref] = await ordersWith();
    try {
      expect(fresh.serverTime()).toBeUndefined();
      const before = Math.floor(Date.now() / 1000) * 1000;
      await fresh.search({ limit: 1 });
      const answeredAt = fresh.serverTime();
      expect(answeredAt?.getTime()).toBeGreaterThanOrEqual(before);
      expect(answeredAt?.getTime()).toBeLessThanOrEqual(Date.now());
    } finally {
      await ref.close();
    }
  });

  it('forgets an earlier Date when the last answer came without one, as from a proxy that drops it', async () => {
    let answers = 0;
    const proxy = createServer((req, res) => {
      answers += 1;
      // The first answer is dated, the second is not.
      res.sendDate = answers === 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"total":0,"count":0,"offset":0,"limit":1,"items":[]}');
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const [client, ref] = await ordersWith({ apiBaseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/api/v3` });
    try {
      await client.search({ limit: 1 });
      expect(client.serverTime()).toBeInstanceOf(Date);
      await client.search({ limit: 1 });
      expect(client.serverTime()).toBeUndefined();
    } finally {
      await ref.close();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('refuses an order id that URL parsing would fold away, before any request', async () => {
    const before = sandbox.requests.length;
    // '.' would reach GET /orders (a search page, taken for an order) and '..' the store itself.
    for (const id of ['.', '..', '', ' ']) {
      await expect(orders.get(id)).rejects.toThrow(/^Not an Ecwid order id/);
      await expect(orders.update(id, { paymentStatus: 'PAID' })).rejects.toThrow(TypeError);
      await expect(orders.delete(id)).rejects.toThrow(TypeError);
    }
    expect(sandbox.requests.length).toBe(before);
  });

  it("refuses the order id 'deleted', which names the deleted-orders history, before any request", async () => {
    sandbox.seedOrders(1);
    sandbox.deleteOrder(sandbox.listOrders()[0].id);
    sandbox.clearRequests();
    // GET /orders/deleted answers the history page, which would come back typed as an order.
    await expect(orders.get('deleted')).rejects.toThrow(/^Not an Ecwid order id: "deleted"/);
    await expect(orders.update('deleted', { paymentStatus: 'PAID' })).rejects.toThrow(TypeError);
    await expect(orders.delete('deleted')).rejects.toThrow(TypeError);
    expect(sandbox.requests).toHaveLength(0);
  });

  it('answers null only for a missing order, not for a 404 from a wrong apiBaseUrl', async () => {
    const { orderId } = await orders.create({ total: 1 });
    const [misdirected, ref] = await ordersWith({ apiBaseUrl: sandbox.apiBaseUrl.replace(/\/api\/v3$/, '/api/v2') });
    try {
      await expect(misdirected.get(orderId)).rejects.toMatchObject({ status: 404, errorCode: 'RESOURCE_NOT_FOUND' });
    } finally {
      await ref.close();
    }
    expect(await orders.get('NOSUCH')).toBeNull();
  });

  it("answers null, and takes a retried DELETE's 404 as done, only when the 404 is Ecwid's", async () => {
    // A proxy in front of Ecwid, or a wrong apiBaseUrl: a 404 HTML page, after one 503 on each DELETE.
    let answer = { status: 404, type: 'text/html', body: '<html><body>404 Not Found</body></html>' };
    const deletes = new Map<string, number>();
    const proxy = createServer((request, response) => {
      const path = request.url ?? '';
      const tries = request.method === 'DELETE' ? (deletes.get(path) ?? 0) + 1 : 0;
      if (tries > 0) deletes.set(path, tries);
      const { status, type, body } = tries === 1 ? { status: 503, type: 'text/html', body: 'busy' } : answer;
      response.writeHead(status, { 'Content-Type': type }).end(body);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as AddressInfo;
    const [proxied, ref] = await ordersWith({ apiBaseUrl: `http://127.0.0.1:${port}/api/v3` });
    try {
      await expect(proxied.get('K8XTQ')).rejects.toMatchObject({ status: 404, errorCode: undefined });
      await expect(proxied.delete('K8XTQ')).rejects.toMatchObject({ status: 404, attempts: 2 });

      // Ecwid's older answers carry only errorMessage: still a missing order.
      answer = { status: 404, type: 'application/json', body: JSON.stringify({ errorMessage: "Order 'EBJFT' not found" }) };
      expect(await proxied.get('EBJFT')).toBeNull();
      await expect(proxied.delete('EBJFT')).resolves.toEqual({ deleteCount: 0, alreadyDeleted: true });
    } finally {
      await ref.close();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  /** Starts a server answering every request with `answer(request)`, and the orders service pointed at it. */
  async function ordersBehind(
    answer: (request: { url: string; authorization: string }) => { status: number; headers: Record<string, string>; body: string },
    overrides: Partial<EcwidModuleOptions> = {},
  ): Promise<[EcwidOrdersService, () => Promise<void>]> {
    const server = createServer((request, response) => {
      const { status, headers, body } = answer({ url: request.url ?? '', authorization: request.headers.authorization ?? '' });
      response.writeHead(status, headers).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const [service, ref] = await ordersWith({ apiBaseUrl: `http://127.0.0.1:${port}/api/v3`, ...overrides });
    return [service, async () => {
      await ref.close();
      await new Promise((resolve) => server.close(resolve));
    }];
  }

  it('keeps an error body that echoes the request out of the error: a code not shaped like Ecwid\'s is left out', async () => {
    const [echoed, close] = await ordersBehind(({ url, authorization }) => ({
      status: 400,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ errorCode: `${authorization} ${url}`, errorMessage: `refused ${authorization}` }),
    }));
    try {
      const error = (await echoed.search({ email: 'a@b.c' }).catch((e: unknown) => e)) as EcwidApiError;
      expect(error).toMatchObject({ status: 400, errorCode: undefined, errorMessage: 'refused Bearer [redacted]' });
      expect(`${error.message} ${error.stack} ${JSON.stringify(error)} ${inspect(error, { depth: 10 })}`).not.toContain(sandbox.token);
    } finally {
      await close();
    }
  });

  it('fails with EcwidApiError, not with what a page or an order would be, when a 2xx answer is not JSON', async () => {
    // A captive portal or a misconfigured proxy answering 200 with its own page.
    const [portal, close] = await ordersBehind(() => ({ status: 200, headers: { 'Content-Type': 'text/html' }, body: '<html>Sign in</html>' }));
    try {
      for (const call of [() => portal.search(), () => portal.get('K8XTQ'), async () => portal.iterate().next()]) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(EcwidApiError);
        expect(error).toMatchObject({ status: 200, errorMessage: 'the answer is not JSON (text/html)', attempts: 1 });
      }
    } finally {
      await close();
    }
  });

  it("reads a Retry-After date against the answer's own Date, not this host's clock", async () => {
    // The server's clock two minutes behind this host's, then two minutes ahead: either way it asks for 5 s.
    for (const skewMs of [-120_000, 120_000]) {
      const [limited, close] = await ordersBehind(
        () => {
          const now = Date.now() + skewMs;
          return {
            status: 429,
            headers: { 'Content-Type': 'application/json', Date: new Date(now).toUTCString(), 'Retry-After': new Date(now + 5000).toUTCString() },
            body: JSON.stringify({ errorCode: 'TOO_MANY_REQUESTS', errorMessage: 'slow down' }),
          };
        },
        // A token each: a 429 pauses every call on its token, and the second server must not wait out the first's.
        { token: `secret_skew_${skewMs}`, http: { maxRetries: 0 } },
      );
      try {
        const error = (await limited.search().catch((e: unknown) => e)) as EcwidApiError;
        expect({ skewMs, retryAfterSeconds: error.retryAfterSeconds }).toEqual({ skewMs, retryAfterSeconds: 5 });
      } finally {
        await close();
      }
    }
  });

  it('sends the token only as a Bearer header', async () => {
    await orders.search({ limit: 1 });
    expect(lastRequest().authorization).toBe(`Bearer ${sandbox.token}`);
    expect(lastRequest().query).not.toHaveProperty('token');
  });

  it("maps filters onto Ecwid's query names: Dates to UNIX seconds, arrays to comma lists", async () => {
    await orders.search({
      createdFrom: new Date('2024-05-01T05:26:28Z'),
      updatedTo: '2024-06-01 00:00:00',
      paymentStatus: ['PAID', 'AWAITING_PAYMENT'],
      ids: ['K8XTQ', 'EBJFT'],
      acceptMarketing: false,
      limit: 50,
      offset: 10,
    });
    expect(lastRequest().query).toEqual({
      createdFrom: '1714541188',
      updatedTo: '2024-06-01 00:00:00',
      paymentStatus: 'PAID,AWAITING_PAYMENT',
      ids: 'K8XTQ,EBJFT',
      acceptMarketing: 'false',
      limit: '50',
      offset: '10',
    });
  });

  it('refuses an empty list filter, which Ecwid would take for no filter, and list elements a comma list cannot carry', async () => {
    sandbox.seedOrders(3);
    sandbox.clearRequests();
    await expect(orders.search({ ids: [] })).rejects.toThrow(new RangeError('ids: an empty list would match every order'));
    await expect(orders.search({ ids: ['', ' '] })).rejects.toThrow(RangeError);
    await expect(orders.iterate({ paymentStatus: [] }).next()).rejects.toThrow(/^paymentStatus: an empty list/);
    // The same list written as a string, as `[].join(',')` would write it.
    await expect(orders.search({ ids: '' })).rejects.toThrow(new RangeError('ids: an empty list would match every order'));
    await expect(orders.search({ fulfillmentStatus: ' , ' })).rejects.toThrow(/^fulfillmentStatus: an empty list/);
    for (const element of [new Date(), { id: 'K8XTQ' }, NaN, Infinity, null, true] as unknown[]) {
      await expect(orders.search({ ids: ['K8XTQ', element as string] })).rejects.toThrow(TypeError);
      await expect(orders.search({ fulfillmentStatus: [element as string] })).rejects.toThrow(/^fulfillmentStatus: a list may hold only/);
    }
    expect(sandbox.requests).toHaveLength(0);
    await expect(orders.search({ ids: ['NOSUCH', 7] })).resolves.toMatchObject({ total: 0 });
  });

  it('answers with the envelope and filters as Ecwid does', async () => {
    sandbox.seedOrders(30, (i) => ({ paymentStatus: i % 3 === 0 ? 'PAID' : 'AWAITING_PAYMENT', email: `c${i}@example.com` }));
    const paid = await orders.search({ paymentStatus: 'PAID', limit: 4 });
    expect(paid).toMatchObject({ total: 10, count: 4, offset: 0, limit: 4 });
    expect(paid.items.every((o) => o.paymentStatus === 'PAID')).toBe(true);
    const byEmail = await orders.search({ email: 'c7@example.com' });
    expect(byEmail.items.map((o) => o.email)).toEqual(['c7@example.com']);
  });

  it('iterates over every matching order, one page of 100 at a time', async () => {
    sandbox.seedOrders(250, (i) => ({ total: i }));
    sandbox.clearRequests();
    const seen: number[] = [];
    for await (const order of orders.iterate({ totalFrom: 0 })) seen.push(order.total as number);
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    expect(sandbox.requests.map((r) => [r.query.offset, r.query.limit])).toEqual([
      ['0', '100'],
      ['100', '100'],
      ['200', '100'],
    ]);
  });

  it('visits every order once while the walk moves each out of the filter', async () => {
    sandbox.seedOrders(250, () => ({ paymentStatus: 'AWAITING_PAYMENT' }));
    const seen: string[] = [];
    for await (const order of orders.iterate({ paymentStatus: 'AWAITING_PAYMENT' })) {
      seen.push(order.id);
      await orders.update(order.id, { paymentStatus: 'PAID' });
    }
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    expect(sandbox.listOrders().every((order) => order.paymentStatus === 'PAID')).toBe(true);
  });

  it('misses no order and yields none twice when orders are deleted behind and ahead of the walk', async () => {
    sandbox.seedOrders(250);
    const ids = sandbox.listOrders().map((order) => order.id);
    const seen: string[] = [];
    for await (const order of orders.iterate()) {
      seen.push(order.id);
      // One already yielded moves the rest up a place; one on a page not read yet moves only those after it, and the
      // step back then re-reads an order already yielded.
      if (seen.length === 50) sandbox.deleteOrder(ids[10]);
      if (seen.length === 120) sandbox.deleteOrder(ids[230]);
    }
    expect(seen).toEqual(ids.filter((id) => id !== ids[230]));
  });

  it("keeps the items' id in a responseFields walk, which it needs to skip what it yielded", async () => {
    sandbox.seedOrders(250, (i) => ({ email: `c${i}@example.com` }));
    const ids = sandbox.listOrders().map((order) => order.id);
    sandbox.clearRequests();
    const seen: unknown[] = [];
    for await (const order of orders.iterate({ responseFields: 'items(email)' })) {
      seen.push(order);
      if (seen.length === 120) sandbox.deleteOrder(ids[230]);
    }
    const expected = ids.map((id, i) => ({ id, email: `c${i}@example.com` })).filter(({ id }) => id !== ids[230]);
    expect(seen).toEqual(expected);
    expect(sandbox.requests[0].query.responseFields).toBe('items(email,id),total');
  });

  it('misses no deletion while the oldest leave the deleted-orders history during the walk', async () => {
    let clock = Date.now();
    const store = await new EcwidSandbox({ token: 'secret_history_walk_token', now: () => clock }).start();
    const [history, ref] = await ordersWith({ token: store.token, apiBaseUrl: store.apiBaseUrl });
    try {
      store.seedOrders(5);
      const deletedAt: number[] = [];
      for (const order of store.listOrders()) {
        store.deleteOrder(order.id);
        deletedAt.push(clock);
        clock += 86_400_000;
      }
      const seen: Array<number | string> = [];
      for await (const deleted of history.iterateDeleted({ limit: 2 })) {
        seen.push(deleted.id);
        // Ecwid keeps six months: the first deletion leaves the history, and the rest move up a place.
        if (seen.length === 2) clock = deletedAt[0] + 184 * 86_400_000;
      }
      expect(seen).toHaveLength(5);
      expect(new Set(seen).size).toBe(5);
    } finally {
      await ref.close();
      await store.stop();
    }
  });

  it('iterates the deleted-orders history', async () => {
    sandbox.seedOrders(3);
    for (const order of sandbox.listOrders()) sandbox.deleteOrder(order.id);
    const ids: Array<number | string> = [];
    for await (const deleted of orders.iterateDeleted({ limit: 2 })) ids.push(deleted.id);
    expect(ids).toHaveLength(3);
  });

  it('asks for only some fields with responseFields, and checks the selection before sending', async () => {
    const { orderId } = await orders.create({ email: 'ann@example.com', total: 7, items: [{ sku: 'T-1', name: 'Teapot', price: 7, quantity: 1 }] });
    expect(await orders.get(orderId, { responseFields: 'id,email,items(sku)' })).toEqual({
      id: orderId,
      email: 'ann@example.com',
      items: [{ sku: 'T-1' }],
    });
    expect(await orders.search({ responseFields: 'total' })).toEqual({ total: 1 });

    sandbox.clearRequests();
    await expect(orders.search({ responseFields: 'items(id' })).rejects.toThrow(/responseFields "items\(id": "\)" is missing/);
    await expect(orders.get(orderId, { responseFields: 'id,,email' })).rejects.toThrow(TypeError);
    // On a search the selection is of the page: 'id,email' would keep nothing to walk.
    await expect(orders.iterate({ responseFields: 'id,email' }).next()).rejects.toThrow(/write items\(id,email\)/);
    expect(sandbox.requests).toHaveLength(0);
  });

  it('walks every order with a responseFields that leaves out total, adding total so it stops on time', async () => {
    sandbox.seedOrders(150);
    const seen: unknown[] = [];
    for await (const order of orders.iterate({ responseFields: 'items(id)' })) seen.push(order);
    expect(seen).toHaveLength(150);
    expect(seen.every((order) => Object.keys(order as object).join() === 'id')).toBe(true);
    expect(sandbox.requests.map((r) => [r.query.offset, r.query.responseFields])).toEqual([
      ['0', 'items(id),total'],
      ['100', 'items(id),total'],
    ]);
  });

  it('refuses a page size Ecwid would refuse, before sending anything', async () => {
    sandbox.clearRequests();
    await expect(orders.search({ limit: 101 })).rejects.toThrow(RangeError);
    await expect(orders.iterate({ limit: 0 }).next()).rejects.toThrow(RangeError);
    expect(sandbox.requests).toHaveLength(0);
  });

  it('throws EcwidApiError with the facts a caller needs, and without the token', async () => {
    sandbox.injectFault({ status: 402, times: 1 });
    const error = await orders.search().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EcwidApiError);
    expect(error).toMatchObject({ status: 402, errorCode: 'NOT_AVAILABLE_ON_CURRENT_PLAN', method: 'GET', path: '/orders', failure: 'http', attempts: 1 });
    const shown = `${(error as Error).message} ${(error as Error).stack} ${JSON.stringify(error)} ${inspect(error, { depth: 10 })}`;
    expect(shown).not.toContain(sandbox.token);
  });

  it('throws on a wrong token, naming the failure and never the token', async () => {
    const [bad, ref] = await ordersWith({ token: 'secret_wrong_token_value' });
    try {
      const error = (await bad.get('ANY').catch((e: unknown) => e)) as EcwidApiError;
      expect(error).toMatchObject({ status: 403, errorCode: 'INVALID_API_TOKEN' });
      expect(`${error.message} ${JSON.stringify(error)} ${inspect(error)}`).not.toContain('secret_wrong_token_value');
    } finally {
      await ref.close();
    }
  });

  it('retries idempotent calls on 5xx and succeeds', async () => {
    sandbox.injectFault({ status: 503, times: 2 });
    await expect(orders.search()).resolves.toMatchObject({ total: 0 });
    expect(sandbox.requests.filter((r) => r.path.endsWith('/orders')).map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it("waits for a 5xx's Retry-After, and fails at once when it is longer than retryMaxDelayMs", async () => {
    const [patient, ref] = await ordersWith({ http: { retryBaseDelayMs: 5, retryMaxDelayMs: 2000 } });
    try {
      sandbox.injectFault({ status: 503, times: 1, retryAfterSeconds: 1 });
      await patient.search();
      const [unavailable, retried] = sandbox.requests;
      expect([unavailable.status, retried.status]).toEqual([503, 200]);
      expect(retried.at - unavailable.at).toBeGreaterThanOrEqual(950);

      sandbox.reset();
      sandbox.injectFault({ status: 503, times: 1, retryAfterSeconds: 3 });
      await expect(patient.search()).rejects.toMatchObject({ status: 503, attempts: 1, retryAfterSeconds: 3 });
      expect(sandbox.requests).toHaveLength(1);
    } finally {
      await ref.close();
    }
  });

  it('gives up after maxRetries and reports the attempts', async () => {
    sandbox.injectFault({ status: 500, times: Infinity });
    const error = (await orders.search().catch((e: unknown) => e)) as EcwidApiError;
    expect(error).toMatchObject({ status: 500, errorCode: 'INTERNAL_ERROR', attempts: 5 });
  });

  it('does not retry a create on 5xx, since it could create the order twice', async () => {
    sandbox.injectFault({ status: 500, times: 1, match: { method: 'POST' } });
    await expect(orders.create({ total: 1 })).rejects.toMatchObject({ status: 500, attempts: 1 });
  });

  it('retries a create on 429, which Ecwid answers before doing anything', async () => {
    sandbox.injectFault({ status: 429, times: 1, retryAfterSeconds: 1, match: { method: 'POST' } });
    await expect(orders.create({ total: 1 })).resolves.toMatchObject({ orderId: expect.any(String) });
  });

  it('waits for Retry-After after a 429', async () => {
    sandbox.injectFault({ status: 429, times: 1, retryAfterSeconds: 1 });
    await orders.search();
    const [limited, retried] = sandbox.requests;
    expect(limited.status).toBe(429);
    expect(retried.status).toBe(200);
    expect(retried.at - limited.at).toBeGreaterThanOrEqual(950);
  });

  it('after a 429 without Retry-After waits no longer than the capped exponential backoff, not a flat second', async () => {
    const [backingOff, ref] = await ordersWith({ http: { maxRetries: 4, retryBaseDelayMs: 100, retryMaxDelayMs: 300 } });
    try {
      sandbox.injectFault({ status: 429, times: 4 });
      await backingOff.search();
      expect(sandbox.requests.map((r) => r.status)).toEqual([429, 429, 429, 429, 200]);
      const waits = sandbox.requests.slice(1).map((r, i) => r.at - sandbox.requests[i].at);
      // Full jitter: each wait is anywhere up to 100, 200, 300 (the cap), 300 ms; 80 ms of slack for the round trip.
      [100, 200, 300, 300].forEach((ceiling, i) => expect(waits[i]).toBeLessThanOrEqual(ceiling + 80));
    } finally {
      await ref.close();
    }
  });

  it('retries a dropped connection and a timeout on reads', async () => {
    sandbox.injectFault({ drop: true, times: 1 });
    await expect(orders.search()).resolves.toMatchObject({ total: 0 });
    const [slow, ref] = await ordersWith({ http: { timeoutMs: 100, maxRetries: 1, retryBaseDelayMs: 1, retryMaxDelayMs: 1 } });
    try {
      sandbox.injectFault({ delayMs: 400, times: 1 });
      await expect(slow.search()).resolves.toMatchObject({ total: 0 });
      sandbox.injectFault({ delayMs: 400, times: 2 });
      await expect(slow.search()).rejects.toMatchObject({ failure: 'timeout', attempts: 2 });
    } finally {
      await ref.close();
    }
  });

  it('holds each attempt to timeoutMs even while an answer trickles in, which resets an idle timer', async () => {
    const [strict, ref] = await ordersWith({ http: { timeoutMs: 300, maxRetries: 0 } });
    try {
      // About 55 bytes at one per 40 ms: over 2 s in all, with never more than 40 ms of silence.
      sandbox.injectFault({ trickleMs: 40 });
      await expect(strict.search()).rejects.toMatchObject({ failure: 'timeout', attempts: 1 });
    } finally {
      await ref.close();
    }
  });

  it('takes a retried DELETE that finds the order gone, after an answer was lost, as done', async () => {
    const { orderId } = await orders.create({ total: 1 });
    sandbox.injectFault({ loseAnswer: true, match: { method: 'DELETE' } });
    await expect(orders.delete(orderId)).resolves.toEqual({ deleteCount: 0, alreadyDeleted: true });
    expect(sandbox.requests.filter((r) => r.method === 'DELETE').map((r) => r.status)).toEqual([0, 404]);
    expect(await orders.get(orderId)).toBeNull();

    // Missing at the first attempt, or after an attempt Ecwid refused unanswered (429), it is still an error.
    await expect(orders.delete(orderId)).rejects.toMatchObject({ status: 404, errorCode: 'ORDER_NOT_FOUND', attempts: 1 });
    sandbox.injectFault({ status: 429, retryAfterSeconds: 0, match: { method: 'DELETE' } });
    await expect(orders.delete(orderId)).rejects.toMatchObject({ status: 404, attempts: 2 });
  });

  it('fails at once on a 429 whose Retry-After is over a minute (a blocked token), and sends nothing on it meanwhile', async () => {
    // A token of its own: the pause holds every client of a token in the process.
    const paused = await new EcwidSandbox({ token: 'secret_pause_test_token' }).start();
    const [service, ref] = await ordersOn(paused, { http: { retryBaseDelayMs: 5, retryMaxDelayMs: 2000 } });
    try {
      paused.injectFault({ status: 429, retryAfterSeconds: 3600 });
      await expect(service.search()).rejects.toMatchObject({ status: 429, attempts: 1, retryAfterSeconds: 3600 });

      const unsent = (await service.get('K8XTQ').catch((e: unknown) => e)) as EcwidApiError;
      expect(unsent).toBeInstanceOf(EcwidApiError);
      expect(unsent).toMatchObject({ status: 429, errorCode: 'RATE_LIMITED', attempts: 0, method: 'GET', path: '/orders/K8XTQ' });
      expect(unsent.retryAfterSeconds).toBeGreaterThan(3590);
      expect(unsent.message).toMatch(/not sent/);
      expect(paused.requests).toHaveLength(1);
    } finally {
      await ref.close();
      await paused.stop();
    }
  });

  it('keeps the token out of a deep inspection of the HTTP client while a request holds its socket', async () => {
    const client = moduleRef.get(ECWID_HTTP_CLIENT);
    sandbox.injectFault({ delayMs: 200 });
    const pending = orders.search();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sandbox.requests).toHaveLength(0);
    const shown = `${inspect(client, { depth: 12, showHidden: true })} ${JSON.stringify(client)}`;
    expect(shown).toContain(String(sandbox.storeId));
    expect(shown).not.toContain(sandbox.token);
    await pending;
  });

  it('stops retrying once the application shuts down, so a call in backoff does not hold the shutdown', async () => {
    const [patient, ref] = await ordersWith({ http: { maxRetries: 4, retryBaseDelayMs: 5, retryMaxDelayMs: 5000 } });
    sandbox.injectFault({ status: 503, retryAfterSeconds: 3, times: Infinity });
    const call = patient.search().catch((e: unknown) => e);
    while (sandbox.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await ref.close();
    // Without the stop it would wait 3 s four more times.
    expect(await call).toMatchObject({ status: 503, attempts: 1 });
    expect(sandbox.requests).toHaveLength(1);
    // A call after shutdown still gets its one attempt.
    await expect(patient.search()).rejects.toMatchObject({ status: 503, attempts: 1 });
  });

  it('lets a request under way at shutdown finish, and closes its connection after the answer', async () => {
    // A sandbox of its own, so no other client's kept-alive connection is counted.
    const own = await new EcwidSandbox().start();
    const [service, ref] = await ordersOn(own);
    const server = own['server'] as Server;
    const connections = (): Promise<number> =>
      new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    try {
      own.injectFault({ delayMs: 300, match: { method: 'POST' } });
      const creating = service.create({ total: 7 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await ref.close();
      // Cutting the connection here would leave the caller not knowing whether the order exists.
      const { orderId } = await creating;
      expect(own.getOrder(orderId)?.total).toBe(7);
      for (let waited = 0; (await connections()) > 0 && waited < 1000; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await connections()).toBe(0);
    } finally {
      await own.stop();
    }
  });

  it('ends a retry waiting out a 429 in the rate limiter once the application shuts down', async () => {
    // A token of its own: the pause holds every client of a token in the process.
    const limited = await new EcwidSandbox({ token: 'secret_shutdown_pause_token' }).start();
    const [service, ref] = await ordersOn(limited);
    try {
      limited.injectFault({ status: 429, retryAfterSeconds: 30 });
      const call = service.search().catch((e: unknown) => e);
      while (limited.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const closing = Date.now();
      await ref.close();
      // Without the stop the retry would wait out the 30 s.
      expect(await call).toMatchObject({ status: 429, attempts: 1, retryAfterSeconds: 30 });
      expect(Date.now() - closing).toBeLessThan(5000);
      expect(limited.requests).toHaveLength(1);
    } finally {
      await limited.stop();
    }
  });

  describe("a caller's signal", () => {
    const aborted = (reason?: unknown): AbortSignal => {
      const controller = new AbortController();
      controller.abort(reason);
      return controller.signal;
    };
    /** Resolves once the sandbox has answered `seen` requests. */
    const answered = async (seen: number): Promise<void> => {
      while (sandbox.requests.length < seen) await new Promise((resolve) => setTimeout(resolve, 10));
    };

    it('sends nothing for a call whose signal is already aborted, and rejects with its reason', async () => {
      const order = sandbox.createOrder({ total: 3 });
      sandbox.clearRequests();
      const calls: [string, (signal: AbortSignal) => Promise<unknown>][] = [
        ['search', (signal) => orders.search({}, { signal })],
        ['get', (signal) => orders.get(order.id, { signal })],
        ['get with responseFields', (signal) => orders.get(order.id, { responseFields: 'id', signal })],
        ['create', (signal) => orders.create({ total: 1 }, { signal })],
        ['update', (signal) => orders.update(order.id, { paymentStatus: 'PAID' }, { signal })],
        ['delete', (signal) => orders.delete(order.id, { signal })],
        ['deleted', (signal) => orders.deleted({}, { signal })],
        ['iterate', (signal) => orders.iterate({}, { signal }).next()],
        ['iterateDeleted', (signal) => orders.iterateDeleted({}, { signal }).next()],
      ];
      for (const [name, call] of calls) {
        const reason = new Error(`${name} given up`);
        await expect(call(aborted(reason))).rejects.toBe(reason);
      }
      expect(sandbox.requests).toEqual([]);
      expect(sandbox.getOrder(order.id)?.paymentStatus).toBe(order.paymentStatus);
    });

    it('cuts off a request under way, and a TimeoutError from AbortSignal.timeout bounds the call', async () => {
      // Each attempt may take a minute, past the test's own timeout: only the signal can end these calls in time.
      const [patient, ref] = await ordersWith({ http: { maxRetries: 0, timeoutMs: 60_000 } });
      try {
        sandbox.injectFault({ delayMs: 120_000, times: 2, match: { method: 'GET' } });
        const controller = new AbortController();
        const reading = patient.get('K8XTQ', { signal: controller.signal });
        await new Promise((resolve) => setTimeout(resolve, 100));
        // One per call, so a signal shared by a few calls stays under Node's listener-leak warning.
        expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
        controller.abort();
        await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
        expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
        await expect(patient.search({}, { signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ name: 'TimeoutError' });
      } finally {
        sandbox.reset();
        await ref.close();
      }
    });

    it('ends a backoff at once and starts no retry after it', async () => {
      const [patient, ref] = await ordersWith({ http: { maxRetries: 4, retryBaseDelayMs: 5, retryMaxDelayMs: 60_000 } });
      try {
        // Without the signal the call would wait 50 s, past the test's own timeout, before its next attempt.
        sandbox.injectFault({ status: 503, retryAfterSeconds: 50, times: Infinity });
        const controller = new AbortController();
        const reason = new Error('caller gave up');
        const searching = patient.search({}, { signal: controller.signal });
        // The sandbox records the 503 as it sends it: a moment later the call is in its backoff.
        await answered(1);
        await new Promise((resolve) => setTimeout(resolve, 50));
        controller.abort(reason);
        await expect(searching).rejects.toBe(reason);
        expect(sandbox.requests.map((r) => r.status)).toEqual([503]);
      } finally {
        await ref.close();
      }
    });

    it('leaves no listener on a signal that never aborts, after a success or a failure', async () => {
      const { signal } = new AbortController();
      await orders.search({}, { signal });
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
      sandbox.injectFault({ status: 400, times: 1 });
      await expect(orders.search({}, { signal })).rejects.toMatchObject({ status: 400 });
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    });

    it('lets a request under way finish when the app shuts down, as a call without a signal does', async () => {
      const own = await new EcwidSandbox().start();
      const [service, ref] = await ordersOn(own);
      try {
        own.injectFault({ delayMs: 300, match: { method: 'POST' } });
        const { signal } = new AbortController();
        const creating = service.create({ total: 9 }, { signal });
        await new Promise((resolve) => setTimeout(resolve, 100));
        await ref.close();
        const { orderId } = await creating;
        expect(own.getOrder(orderId)?.total).toBe(9);
      } finally {
        await own.stop();
      }
    });

    it("leaves the rate limiter's queue at once and is never sent", async () => {
      // A token of its own: one limiter serves every client of a token in the process.
      const own = await new EcwidSandbox({ token: 'secret_signal_queue_token' }).start();
      const [limited, ref] = await ordersOn(own, { http: { requestsPerMinute: 1 } });
      try {
        await limited.search();
        const controller = new AbortController();
        // A minute's wait for the token's one request a minute, unless the signal ends it.
        const queued = limited.search({}, { signal: controller.signal });
        await new Promise((resolve) => setTimeout(resolve, 50));
        controller.abort();
        await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
        expect(own.requests).toHaveLength(1);
      } finally {
        await ref.close();
        await own.stop();
      }
    });

    it('ends a walk at the next page read once its signal aborts', async () => {
      sandbox.seedOrders(150, (i) => ({ total: i }));
      sandbox.clearRequests();
      const controller = new AbortController();
      const seen: number[] = [];
      const walking = (async () => {
        for await (const order of orders.iterate({ totalFrom: 0 }, { signal: controller.signal })) {
          seen.push(order.total as number);
          if (seen.length === 100) controller.abort();
        }
      })();
      await expect(walking).rejects.toMatchObject({ name: 'AbortError' });
      expect(seen).toHaveLength(100);
      expect(sandbox.requests).toHaveLength(1);
    });
  });

  it('tells the caller which setting is missing when no token is configured', async () => {
    const ref = await Test.createTestingModule({
      imports: [EcwidModule.forRoot({ storeId: sandbox.storeId, clientSecret: 's', apiBaseUrl: sandbox.apiBaseUrl })],
    }).compile();
    try {
      await expect(ref.get(EcwidOrdersService).search()).rejects.toThrow(EcwidNotConfiguredError);
      await expect(ref.get(EcwidOrdersService).search()).rejects.toThrow(/ECWID_TOKEN/);
    } finally {
      await ref.close();
    }
  });

  it('queues many calls in the rate limiter without a listener-leak warning at the host', async () => {
    // Each queued call listens for shutdown on the connection's one signal until its turn: 30 are a burst, not a leak.
    // Node prints its warning on the real process, which a jest test cannot listen to, so the burst runs in a child
    // process, from the build (npm test builds first).
    const dist = join(__dirname, '..', 'dist');
    if (!existsSync(join(dist, 'index.js'))) throw new Error('dist is missing: run `npm run build` (npm test does it first)');
    const script = `
      require('reflect-metadata');
      const { Test } = require('@nestjs/testing');
      const { EcwidModule, EcwidOrdersService } = require(${JSON.stringify(dist)});
      const { EcwidSandbox } = require(${JSON.stringify(join(dist, 'testing'))});
      (async () => {
        const sandbox = await new EcwidSandbox().start();
        const options = { storeId: sandbox.storeId, token: sandbox.token, apiBaseUrl: sandbox.apiBaseUrl, http: { maxRetries: 0 } };
        const ref = await Test.createTestingModule({ imports: [EcwidModule.forRoot(options)] }).compile();
        const orders = ref.get(EcwidOrdersService);
        const pages = await Promise.all(Array.from({ length: 30 }, () => orders.search({ limit: 1 })));
        await new Promise((resolve) => setTimeout(resolve, 50));
        await ref.close();
        await sandbox.stop();
        console.log('searched ' + pages.length);
      })().catch((error) => { console.error(error); process.exit(1); });`;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: join(__dirname, '..') });
    expect(stdout).toContain('searched 30');
    expect(stderr).not.toMatch(/MaxListenersExceededWarning|memory leak/);
  });

  it("keeps under the sandbox's rate limit with the client-side limiter", async () => {
    // A token for each burst: modules sharing a token share its limiter, the smallest limit of theirs.
    const limited = await new EcwidSandbox({ token: 'secret_limit_test_token', rateLimit: { requestsPerMinute: 20 } }).start();
    const another = await new EcwidSandbox({ token: 'secret_no_limit_test_token', rateLimit: { requestsPerMinute: 20 } }).start();
    const burst = async (store: EcwidSandbox, requestsPerMinute: number, count: number): Promise<number[]> => {
      const ref = await Test.createTestingModule({
        imports: [
          EcwidModule.forRoot({
            storeId: store.storeId,
            token: store.token,
            apiBaseUrl: store.apiBaseUrl,
            http: { requestsPerMinute, maxRetries: 0 },
          }),
        ],
      }).compile();
      try {
        const service = ref.get(EcwidOrdersService);
        const results = await Promise.allSettled(Array.from({ length: count }, () => service.search({ limit: 1 })));
        return results.map((r) => (r.status === 'fulfilled' ? 200 : (r.reason as EcwidApiError).status ?? 0));
      } finally {
        await ref.close();
      }
    };
    try {
      expect(await burst(limited, 20, 20)).toEqual(Array(20).fill(200));
      // Without the client-side limit the same kind of store answers 429 past its ceiling.
      const statuses = await burst(another, 1000, 25);
      expect(statuses.filter((status) => status === 429)).toHaveLength(5);
    } finally {
      await limited.stop();
      await another.stop();
    }
  });

  it('gives modules that share a token one limiter, at the smallest limit any of them set, and says so once without the token', async () => {
    const token = 'secret_shared_limiter_token';
    const store = await new EcwidSandbox({ token }).start();
    const logger = new CapturingLogger();
    const moduleWith = (requestsPerMinute: number): Promise<TestingModule> =>
      Test.createTestingModule({
        imports: [
          EcwidModule.forRoot({
            storeId: store.storeId,
            token,
            apiBaseUrl: store.apiBaseUrl,
            http: { requestsPerMinute, rateLimitWindowMs: 1000, maxRetries: 0 },
          }),
        ],
      })
        .setLogger(logger)
        .compile();
    // The largest first, so the shared limiter is lowered when the smallest joins.
    const refs = [await moduleWith(1000), await moduleWith(10), await moduleWith(500)];
    try {
      const calls = refs.flatMap((ref) => Array.from({ length: 8 }, () => ref.get(EcwidOrdersService).search({ limit: 1 })));
      await Promise.all(calls);
      expect(store.requests.map((r) => r.status)).toEqual(Array(24).fill(200));
      expect(refs.map((ref) => ref.get(EcwidOrdersService).requestsPerWindow())).toEqual([10, 10, 10]);
      // Ten a window, the smallest limit: the 11th and the 21st wait out a window (1 s and its margin) after the 1st
      // and the 11th. Each module on its own budget would send all 24 at once. Told by arrival times rather than by the
      // sandbox's own limit, which counts at arrival: the first ten, arriving spread out on a busy host, made that
      // count an 11th within its window now and then.
      const arrivals = store.requests.map((r) => r.at).sort((a, b) => a - b);
      expect(arrivals[10] - arrivals[0]).toBeGreaterThanOrEqual(500);
      expect(arrivals[20] - arrivals[10]).toBeGreaterThanOrEqual(500);
      const warnings = logger.lines.filter((line) => line.includes('requestsPerMinute'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/different http\.requestsPerMinute \(1000 and 10\).*smallest, 10/);
      expect(logger.lines.join('\n')).not.toContain(token);
    } finally {
      for (const ref of refs) await ref.close();
      await store.stop();
    }
  });
});

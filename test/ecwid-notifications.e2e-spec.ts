import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  EcwidMemoryStateStore,
  EcwidModule,
  EcwidModuleOptions,
  EcwidNotificationBody,
  EcwidNotificationProblem,
  EcwidNotificationsService,
  EcwidOrderPoller,
  resolveEcwidConfig,
  verifyEcwidNotificationSignature,
} from 'nestjs-ecwid';
import { EcwidCallbackReceiver, ReceivedNotification } from 'nestjs-ecwid/testing';
import { EcwidSandbox } from 'nestjs-ecwid/testing';
import { EcwidEventDispatcher } from '../src/events/ecwid-event.dispatcher';
import { outboxCollections, sequenceId } from '../src/notifications/ecwid-notification.outbox';
import { startApp, TestApp } from './support/apps';
import { CLIENT_SECRET, deliver, orderWebhook, STORE_ID } from './support/webhooks';

const SIGNATURE_KEY = 'notification_signature_key_value';

/** Polls `done` until it holds or `ms` has passed; the assertion that follows says what was expected. */
async function eventually(done: () => Promise<boolean>, ms: number, everyMs = 20): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, everyMs));
}

@Injectable()
class ProblemRecorder {
  readonly seen: Array<{ name: string; problem: EcwidNotificationProblem }> = [];

  @OnEvent(EcwidNotificationProblem.FAILED)
  failed(problem: EcwidNotificationProblem): void {
    this.seen.push({ name: EcwidNotificationProblem.FAILED, problem });
  }

  @OnEvent(EcwidNotificationProblem.DISABLED)
  disabled(problem: EcwidNotificationProblem): void {
    this.seen.push({ name: EcwidNotificationProblem.DISABLED, problem });
  }
}

/** Loses the connection once, on the first write that drops outbox entries once they are formed. */
class EntriesDeleteFailsOnce extends EcwidMemoryStateStore {
  failed = false;

  override async deleteRecords(collection: string, ids: string[]): Promise<void> {
    if (!this.failed && collection.endsWith(':entries')) {
      this.failed = true;
      throw new Error('Connection is closed.');
    }
    return super.deleteRecords(collection, ids);
  }
}

/** Counts what the sender reads: rounds (each takes the lease), reads of the flags, and records that hold any of `watched`. */
class ReadCounter extends EcwidMemoryStateStore {
  readonly watched: string[] = [];
  leaseCalls = 0;
  flagReads = 0;
  pendingReads = 0;
  watchedReads = 0;

  override async acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    this.leaseCalls += 1;
    return super.acquireLease(key, holder, ttlMs);
  }

  override async listRecords(collection: string, options?: { afterId?: string; limit?: number }) {
    const records = await super.listRecords(collection, options);
    if (collection.endsWith(':flags')) this.flagReads += 1;
    if (collection.endsWith(':pending')) this.pendingReads += 1;
    this.watchedReads += records.filter((r) => this.watched.some((w) => r.value.includes(w))).length;
    return records;
  }
}

/** Holds the next read of the pending notifications, once armed, until let through. */
class GatedPendingReads extends EcwidMemoryStateStore {
  private gate?: { reached: () => void; opened: Promise<void> };
  private open?: () => void;

  /** Resolves once a round is held in its read of the queue. */
  arm(): Promise<void> {
    return new Promise((reached) => {
      this.gate = { reached, opened: new Promise((resolve) => (this.open = resolve)) };
    });
  }

  letThrough(): void {
    this.open?.();
  }

  override async listRecords(collection: string, options?: { afterId?: string; limit?: number }) {
    const records = await super.listRecords(collection, options);
    const gate = this.gate;
    if (gate && collection.endsWith(':pending')) {
      this.gate = undefined;
      gate.reached();
      await gate.opened;
    }
    return records;
  }
}

/**
 * One replica's connection to a state store it shares with another: every call waits for `before()`, then goes to
 * the shared store, and `after` sees what was called.
 */
function connectionTo(
  shared: EcwidMemoryStateStore,
  hooks: { before?: () => Promise<void> | undefined; after: (name: string | symbol, args: unknown[]) => void },
): EcwidMemoryStateStore {
  return new Proxy(shared, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await hooks.before?.();
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        hooks.after(name, args);
        return result;
      };
    },
  });
}

const callsOnPending = (name: string | symbol, args: unknown[], method: string) => name === method && String(args[0]).endsWith(':pending');

/**
 * A connection that, once `stall()` is called, makes every call after its next write of a pending notification wait
 * (a partition, a long pause) until `resume()`.
 */
function stallingConnection(shared: EcwidMemoryStateStore) {
  let armed = false;
  let stalled: Promise<void> | undefined;
  let resume = () => {};
  const connection = connectionTo(shared, {
    before: () => stalled,
    after: (name, args) => {
      if (!armed || !callsOnPending(name, args, 'putRecords')) return;
      armed = false;
      stalled = new Promise<void>((resolve) => (resume = resolve));
    },
  });
  return {
    connection,
    stall: () => (armed = true),
    isStalled: () => stalled !== undefined,
    resume: () => resume(),
  };
}

/** A connection that calls `onDrop` once it has dropped a pending notification. */
function droppingConnection(shared: EcwidMemoryStateStore, onDrop: () => void): EcwidMemoryStateStore {
  return connectionTo(shared, { after: (name, args) => callsOnPending(name, args, 'deleteRecords') && onDrop() });
}

/** Event types per order id, in the order the receiver accepted them. */
function perOrder(received: ReceivedNotification[]): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (const n of received.filter((r) => r.status === 200)) {
    for (const e of n.body.message.events) seen.set(e.objectId, [...(seen.get(e.objectId) ?? []), e.eventType]);
  }
  return seen;
}

describe('callback notifications', () => {
  let receiver: EcwidCallbackReceiver;
  let t: TestApp | undefined;

  beforeEach(async () => {
    receiver = await new EcwidCallbackReceiver({ signatureKey: SIGNATURE_KEY }).start();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await receiver.stop();
  });

  async function webhookApp(notifications: EcwidModuleOptions['notifications'] = {}, instance: Partial<EcwidModuleOptions> = {}) {
    t = await startApp('express', {
      imports: [
        EcwidModule.forRoot({
          storeId: STORE_ID,
          clientSecret: CLIENT_SECRET,
          name: 'ecwid-store-1003',
          tags: ['ecwid', 'orders'],
          notifications: { enabled: true, callbackUrl: receiver.url, signatureKey: SIGNATURE_KEY, retryUnitMs: 5, ...notifications },
          state: { type: 'memory' },
          ...instance,
        }),
      ],
      providers: [ProblemRecorder],
    });
    return t;
  }

  it('posts each order change in the Cloud Elements shape, signed, with a stable id', async () => {
    const app = await webhookApp();
    const created = orderWebhook('order.created', { newPaymentStatus: 'PAID' });
    expect((await deliver(app.url, created)).status).toBe(200);
    await receiver.waitFor((r) => r.length === 1);
    const [n] = receiver.received;
    expect(n.signatureValid).toBe(true);
    expect(verifyEcwidNotificationSignature(n.rawBody, n.signature, SIGNATURE_KEY)).toBe(true);
    expect(verifyEcwidNotificationSignature(n.rawBody, n.signature, 'a wrong key')).toBe(false);
    expect(verifyEcwidNotificationSignature(n.rawBody.replace('CREATED', 'UPDATED'), n.signature, SIGNATURE_KEY)).toBe(false);
    expect(n.id).toBe(n.body.message.eventId);
    expect(n.body).toEqual({
      message: {
        eventId: n.id,
        elementKey: 'ecwid',
        instanceName: 'ecwid-store-1003',
        instanceTags: ['ecwid', 'orders'],
        storeId: STORE_ID,
        events: [
          {
            eventType: 'CREATED',
            objectType: 'orders',
            objectId: (created.data as { orderId: string }).orderId,
            date: new Date(created.eventCreated * 1000).toISOString(),
          },
        ],
        raw: [created],
      },
    });
  });

  it('retries with the same id and body until the receiver takes it, keeping the order of each order', async () => {
    // Retries 4, 16, 64, 256 and 1024 ms after the first failure: the outage below spans about four of them.
    const app = await webhookApp({ retryUnitMs: 1 });
    await receiver.stop();
    const a = orderWebhook('order.created');
    const aUpdated = orderWebhook('order.updated', { orderId: (a.data as { orderId: string }).orderId }, { entityId: a.entityId });
    const b = orderWebhook('order.created');
    for (const payload of [a, b]) expect((await deliver(app.url, payload)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 150));
    expect((await deliver(app.url, aUpdated)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 150));
    // Up again, but failing once more before it recovers.
    receiver.answerWith(503);
    await receiver.start();
    await receiver.waitFor(() => receiver.delivered.reduce((n, r) => n + r.body.message.events.length, 0) === 3, 25_000);
    expect(perOrder(receiver.received).get((a.data as { orderId: string }).orderId)).toEqual(['CREATED', 'UPDATED']);
    expect(perOrder(receiver.received).get((b.data as { orderId: string }).orderId)).toEqual(['CREATED']);
    const failedIds = receiver.received.filter((r) => r.status !== 200).map((r) => r.id);
    expect(failedIds).toHaveLength(1);
    for (const id of failedIds) expect(receiver.delivered.map((r) => r.id)).toContain(id);
    expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
    // The receiver counts a notification as delivered before the sender has read the answer and dropped it.
    const service = app.app.get(EcwidNotificationsService);
    await eventually(async () => (await service.backlog()).pending === 0, 3000);
    expect(await service.backlog()).toEqual({ entries: 0, pending: 0, parked: 0 });
  }, 40_000);

  it('sends a notification once when the write dropping its formed entries failed', async () => {
    const state = new EntriesDeleteFailsOnce();
    const app = await webhookApp({}, { state });
    const payload = orderWebhook('order.created');
    expect((await deliver(app.url, payload)).status).toBe(200);
    const service = app.app.get(EcwidNotificationsService);
    // The entry left behind stays in the backlog until it is dropped with its notification, or formed and sent again.
    const drained = async () => {
      const { entries, pending } = await service.backlog();
      return state.failed && receiver.delivered.length > 0 && entries + pending === 0;
    };
    await eventually(drained, 5000);
    expect(state.failed).toBe(true);
    const holding = receiver.received.filter((r) => r.body.message.raw.some((raw) => (raw as { eventId: string }).eventId === payload.eventId));
    expect(holding.map((r) => r.id)).toEqual([receiver.received[0].id]);
    expect(await service.backlog()).toEqual({ entries: 0, pending: 0, parked: 0 });
  });

  /**
   * Two replicas of one store, sharing a state store, that notify a callback server answering with `callback`; the
   * server and the replicas are closed after `body`, whatever it did.
   */
  async function withTwoSenders(
    callback: RequestListener,
    settings: { timeoutMs?: number; leaseTtlMs: number },
    body: (replicas: TestApp[]) => Promise<void>,
  ): Promise<void> {
    const server = createServer(callback);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const replicas: TestApp[] = [];
    try {
      const state = new EcwidMemoryStateStore();
      const callbackUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
      for (let i = 0; i < 2; i += 1) {
        replicas.push(
          await startApp('express', {
            imports: [
              EcwidModule.forRoot({
                storeId: STORE_ID,
                clientSecret: CLIENT_SECRET,
                notifications: { enabled: true, callbackUrl, timeoutMs: settings.timeoutMs },
                polling: { leaseTtlMs: settings.leaseTtlMs },
                state,
              }),
            ],
          }),
        );
      }
      await body(replicas);
    } finally {
      for (const replica of replicas) await replica.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('sends each notification from one replica when a round outlasts the lease', async () => {
    // Each answer takes 1.5 s, so sending 100 changes (5 or more notifications) takes longer than the 5 s lease.
    const seen: Array<{ id: string; orderIds: string[] }> = [];
    let release!: () => void;
    const queued = new Promise<void>((resolve) => (release = resolve));
    const slow: RequestListener = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as EcwidNotificationBody;
        seen.push({ id: String(req.headers['elements-webhook-id']), orderIds: body.message.events.map((e) => e.objectId) });
        // The first answer waits only until every change is queued; the later ones are slow.
        const delayMs = seen.length === 1 ? 0 : 1500;
        void queued.then(() => setTimeout(() => res.writeHead(200).end('{}'), delayMs));
      });
    };
    await withTwoSenders(slow, { leaseTtlMs: 5000 }, async (replicas) => {
      const changes = Array.from({ length: 100 }, () => orderWebhook('order.created'));
      for (const payload of changes) expect((await deliver(replicas[0].url, payload)).status).toBe(200);
      release();
      const service = replicas[0].app.get(EcwidNotificationsService);
      const drained = async () => {
        const { entries, pending } = await service.backlog();
        return entries + pending === 0 && new Set(seen.flatMap((n) => n.orderIds)).size === changes.length;
      };
      await eventually(drained, 40_000, 100);
      expect(seen.flatMap((n) => n.orderIds).sort()).toEqual(changes.map((c) => (c.data as { orderId: string }).orderId).sort());
      expect(new Set(seen.map((n) => n.id)).size).toBe(seen.length);
    });
  }, 60_000);

  it('sends a notification from one replica when its send alone outlasts the lease', async () => {
    // The callback answers the first request after 2.5 s, two and a half times the 1 s lease.
    const seen: string[] = [];
    const slowFirst: RequestListener = (req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push(String(req.headers['elements-webhook-id']));
        setTimeout(() => res.writeHead(200).end('{}'), seen.length === 1 ? 2500 : 0);
      });
    };
    await withTwoSenders(slowFirst, { timeoutMs: 5000, leaseTtlMs: 1000 }, async (replicas) => {
      expect((await deliver(replicas[0].url, orderWebhook('order.created'))).status).toBe(200);
      const service = replicas[0].app.get(EcwidNotificationsService);
      await eventually(async () => (await service.backlog()).pending === 0 && seen.length > 0, 10_000, 50);
      expect(await service.backlog()).toEqual({ entries: 0, pending: 0, parked: 0 });
      // The standby has had a second and more of rounds, past the lease, to send it again.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(seen).toHaveLength(1);
    });
  }, 30_000);

  it('loses no change when the sending replica stalls past its lease right after queuing a notification', async () => {
    const shared = new EcwidMemoryStateStore();
    const a = stallingConnection(shared);
    const replica = (state: EcwidMemoryStateStore) =>
      startApp('express', {
        imports: [
          EcwidModule.forRoot({
            storeId: STORE_ID,
            clientSecret: CLIENT_SECRET,
            notifications: { enabled: true, callbackUrl: receiver.url },
            polling: { leaseTtlMs: 1000 },
            state,
          }),
        ],
      });
    const replicas = [await replica(a.connection)];
    try {
      // Replica A holds the sender's lease, and stalls once it has queued the change's notification.
      await new Promise((resolve) => setTimeout(resolve, 300));
      a.stall();
      const payload = orderWebhook('order.created');
      expect((await deliver(replicas[0].url, payload)).status).toBe(200);
      await eventually(async () => a.isStalled(), 5000);
      expect(a.isStalled()).toBe(true);
      // Replica B takes the lease once A's has run out; A comes back as soon as B drops the notification (sent or not).
      replicas.push(await replica(droppingConnection(shared, a.resume)));
      const orderId = (payload.data as { orderId: string }).orderId;
      await eventually(async () => perOrder(receiver.received).has(orderId), 8000, 50);
      expect(perOrder(receiver.received).get(orderId)).toEqual(['CREATED']);
    } finally {
      a.resume();
      for (const app of replicas) await app.close();
    }
  }, 30_000);

  it('cuts a send to a callback that never answers at shutdown, rather than wait out timeoutMs, and keeps it pending', async () => {
    let arrived = 0;
    const silent = createServer((req) => {
      arrived += 1;
      req.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const state = new EcwidMemoryStateStore();
    try {
      const callbackUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/callback`;
      const app = await webhookApp({ callbackUrl, timeoutMs: 60_000 }, { state });
      expect((await deliver(app.url, orderWebhook('order.created'))).status).toBe(200);
      await eventually(async () => arrived > 0, 5000);
      const closing = Date.now();
      await app.close();
      t = undefined;
      // The grace a send under way gets is 2 s; the callback's 60 s timeout is not waited out.
      expect(Date.now() - closing).toBeLessThan(20_000);
      const pending = await state.listRecords(outboxCollections(STORE_ID).pending);
      expect(pending.map((record) => (JSON.parse(record.value) as { attempts: number }).attempts)).toEqual([0]);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 60_000);

  /**
   * Three changes whose notifications each failed once and wait 4 minutes for their retry, once the round that sent
   * the last one has finished; the state store counts what the sender reads.
   */
  async function threeNotificationsWaiting(): Promise<{ state: ReadCounter; app: TestApp; changes: ReturnType<typeof orderWebhook>[] }> {
    const state = new ReadCounter();
    const app = await webhookApp({ retryUnitMs: 60_000 }, { state });
    receiver.answerWith(...Array<number>(10).fill(500));
    const changes = Array.from({ length: 3 }, () => orderWebhook('order.created'));
    for (const [i, payload] of changes.entries()) {
      expect((await deliver(app.url, payload)).status).toBe(200);
      await receiver.waitFor((r) => r.length === i + 1);
    }
    // Every notification failed once and waits 4 minutes; let the round that sent the last one finish.
    const leases = state.leaseCalls;
    await eventually(async () => state.leaseCalls >= leases + 2, 5000);
    return { state, app, changes };
  }

  it('reads the disabled flag once a round, and no body, while every notification waits for its retry', async () => {
    const { state, changes } = await threeNotificationsWaiting();
    state.watched.push(...changes.map((c) => c.eventId));
    const start = { leases: state.leaseCalls, flagReads: state.flagReads };
    await eventually(async () => state.leaseCalls >= start.leases + 8, 10_000);
    const rounds = state.leaseCalls - start.leases;
    expect(rounds).toBeGreaterThanOrEqual(8);
    // One more read at most: the round under way when counting started.
    expect(state.flagReads - start.flagReads).toBeLessThanOrEqual(rounds + 1);
    expect(state.watchedReads).toBe(0);
    expect(receiver.received).toHaveLength(3);
  });

  it('reads no pending notification while none is due and nothing new is queued, and sends a new change at once', async () => {
    const { state, app } = await threeNotificationsWaiting();
    const start = { leases: state.leaseCalls, pendingReads: state.pendingReads };
    await eventually(async () => state.leaseCalls >= start.leases + 8, 10_000);
    expect(state.leaseCalls - start.leases).toBeGreaterThanOrEqual(8);
    // Eight rounds or more, about 2 s: at most one of them read the queue.
    expect(state.pendingReads - start.pendingReads).toBeLessThanOrEqual(1);

    // A new change ends the wait at the next round, not after it.
    const sentAt = Date.now();
    expect((await deliver(app.url, orderWebhook('order.created'))).status).toBe(200);
    await receiver.waitFor((r) => r.length === 4);
    expect(Date.now() - sentAt).toBeLessThan(2000);
  });

  it('parks a notification after its last retry, reports it, and replays it on demand', async () => {
    const app = await webhookApp({ maxRetries: 2 });
    receiver.answerWith(500, 500, 500);
    const payload = orderWebhook('order.created');
    expect((await deliver(app.url, payload)).status).toBe(200);
    const service = app.app.get(EcwidNotificationsService);
    await eventually(async () => (await service.listFailed()).length > 0, 5000, 50);
    const [failed] = await service.listFailed();
    expect(failed).toMatchObject({ attempts: 3, lastStatus: 500 });
    expect(failed.body.message.events[0].objectId).toBe((payload.data as { orderId: string }).orderId);
    expect(app.app.get(ProblemRecorder).seen.map((s) => s.name)).toEqual([EcwidNotificationProblem.FAILED]);

    // A few rounds later the sender, with nothing queued, skips its rounds; a replay wakes it up at once.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await service.replay(failed.id)).toBe(true);
    await receiver.waitFor(() => receiver.delivered.length === 1, 2000);
    expect(receiver.delivered[0].id).toBe(failed.id);
    expect(await service.listFailed()).toEqual([]);
  });

  it('sends a replay made while a round reads the queue by the next round: that round does not go idle past it', async () => {
    const state = new GatedPendingReads();
    const app = await webhookApp({ maxRetries: 0 }, { state });
    const service = app.app.get(EcwidNotificationsService);
    receiver.answerWith(500);
    expect((await deliver(app.url, orderWebhook('order.created'))).status).toBe(200);
    await eventually(async () => (await service.listFailed()).length > 0, 5000, 50);
    const [failed] = await service.listFailed();
    // A full round reads the queue (empty: the notification is parked), and the replay lands before it ends.
    const held = state.arm();
    const round = service.sendDue();
    await held;
    expect(await service.replay(failed.id)).toBe(true);
    state.letThrough();
    await round;
    await receiver.waitFor(() => receiver.delivered.length === 1, 2000);
    expect(receiver.delivered[0].id).toBe(failed.id);
  });

  it('sends a retry that fell due while a round passed it over by the next round, not 5 s later', async () => {
    // A module clock that moves on 1 ms at every read, so the retry is early when the round looks at it and due after.
    let now = Date.now();
    const clock = () => (now += 1);
    const state = new EcwidMemoryStateStore();
    const config = resolveEcwidConfig({
      storeId: STORE_ID,
      clientSecret: CLIENT_SECRET,
      notifications: { enabled: true, callbackUrl: receiver.url, signatureKey: SIGNATURE_KEY },
      state,
      clock,
    });
    const service = new EcwidNotificationsService(config, state, { notify: async () => undefined } as unknown as EcwidEventDispatcher);
    const { pending, bodies } = outboxCollections(STORE_ID);
    const sequence = sequenceId(1);
    const queued = { id: 'retry-1', sequence, orderKeys: [`${STORE_ID}:1`], entryIds: [], attempts: 1, nextAttemptAt: now + 2, createdAt: now };
    await state.putRecords(pending, [{ id: sequence, value: JSON.stringify(queued) }]);
    await state.putRecords(bodies, [{ id: sequence, value: JSON.stringify({ message: { eventId: 'retry-1', events: [], raw: [] } }) }]);
    await service.sendDue();
    expect(receiver.received).toHaveLength(0);
    service.onApplicationBootstrap();
    try {
      await receiver.waitFor((r) => r.length === 1, 2000);
      expect(receiver.received[0].id).toBe('retry-1');
    } finally {
      await service.beforeApplicationShutdown();
    }
  });

  it('sends retry n 4^n units after the first failure, the 9th 72.8 h after it with the default unit', async () => {
    let now = Date.now();
    const app = await webhookApp({ retryUnitMs: 1000 }, { clock: () => now });
    const service = app.app.get(EcwidNotificationsService);
    receiver.answerWith(...Array<number>(10).fill(500));
    expect((await deliver(app.url, orderWebhook('order.created'))).status).toBe(200);
    await receiver.waitFor((r) => r.length === 1);
    // Rounds run one at a time: once this one is done, the one that sent the first attempt has recorded its failure.
    await service.sendDue();
    const firstFailure = now;
    for (let n = 1; n <= 9; n += 1) {
      now = firstFailure + 1000 * 4 ** n - 1;
      await service.sendDue();
      expect(receiver.received).toHaveLength(n);
      now = firstFailure + 1000 * 4 ** n;
      await service.sendDue();
      expect(receiver.received).toHaveLength(n + 1);
    }
    expect(await service.listFailed()).toEqual([expect.objectContaining({ attempts: 10, lastStatus: 500 })]);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(1);
  });

  it('gives up on a callback that trickles its answer past timeoutMs, which an idle timer would never see', async () => {
    // Answers at once, then one byte of its body every 40 ms: 2.5 s in all, never silent for long.
    const slow = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 64 });
        res.flushHeaders();
        let sent = 0;
        const timer = setInterval(() => {
          if (res.destroyed || sent === 64) return clearInterval(timer), void res.end();
          res.write(' ');
          sent++;
        }, 40);
      });
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const callbackUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/callback`;
      const app = await webhookApp({ callbackUrl, timeoutMs: 200, maxRetries: 0 });
      expect((await deliver(app.url, orderWebhook('order.created'))).status).toBe(200);
      const service = app.app.get(EcwidNotificationsService);
      await eventually(async () => (await service.listFailed()).length > 0, 5000, 50);
      expect(await service.listFailed()).toEqual([expect.objectContaining({ attempts: 1, lastError: 'ETIMEDOUT' })]);
    } finally {
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  it('stops on 410 Gone, queues meanwhile, and sends everything in order once re-enabled', async () => {
    const app = await webhookApp();
    const service = app.app.get(EcwidNotificationsService);
    receiver.answerWith(410);
    const first = orderWebhook('order.created');
    await deliver(app.url, first);
    await receiver.waitFor((r) => r.length === 1);
    await eventually(() => service.isDisabled(), 3000);
    expect(await service.isDisabled()).toBe(true);
    const second = orderWebhook('order.created');
    await deliver(app.url, second);
    await new Promise((r) => setTimeout(r, 600));
    expect(receiver.received).toHaveLength(1);
    expect(app.app.get(ProblemRecorder).seen.map((s) => s.name)).toEqual([EcwidNotificationProblem.DISABLED]);

    await service.enable();
    await receiver.waitFor(() => receiver.delivered.length >= 1 && receiver.delivered.flatMap((r) => r.body.message.events).length === 2);
    expect(receiver.delivered.flatMap((r) => r.body.message.events.map((e) => e.objectId))).toEqual([
      (first.data as { orderId: string }).orderId,
      (second.data as { orderId: string }).orderId,
    ]);
  });

  it('sends a newer order past a backlog of more than a page of changes to an order still being retried', async () => {
    // The first notification of order A fails, and its retry is 40 s away: A's later changes must wait behind it.
    const app = await webhookApp({ retryUnitMs: 10_000 });
    receiver.answerWith(500);
    const a = orderWebhook('order.created');
    const aOrderId = (a.data as { orderId: string }).orderId;
    expect((await deliver(app.url, a)).status).toBe(200);
    await receiver.waitFor((r) => r.length === 1);

    // More of A's changes than the sender reads in one page (200), then a change to order B.
    for (let i = 0; i < 210; i += 1) {
      const update = orderWebhook('order.updated', { orderId: aOrderId }, { entityId: a.entityId });
      expect((await deliver(app.url, update)).status).toBe(200);
    }
    const b = orderWebhook('order.created');
    expect((await deliver(app.url, b)).status).toBe(200);

    await receiver.waitFor(() => receiver.delivered.length === 1, 5000);
    expect(receiver.delivered[0].body.message.events.map((e) => e.objectId)).toEqual([(b.data as { orderId: string }).orderId]);
    // A stays behind its failed notification: nothing of it went out of turn.
    expect(receiver.received.filter((r) => r.body.message.events.some((e) => e.objectId === aOrderId))).toHaveLength(1);
    // The receiver counts B's notification as delivered before the sender has read the answer and dropped it.
    const service = app.app.get(EcwidNotificationsService);
    await eventually(async () => (await service.backlog()).pending === 1, 3000);
    expect(await service.backlog()).toEqual({ entries: 210, pending: 1, parked: 0 });
  }, 30_000);

  it('sends nothing when notifications are off', async () => {
    const app = await webhookApp({ enabled: false });
    expect((await deliver(app.url, orderWebhook('order.created'))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.received).toEqual([]);
  });

  it('batches up to 20 webhook events and 10 polled events per notification', async () => {
    const sandbox = await new EcwidSandbox({ clientSecret: CLIENT_SECRET }).start();
    try {
      const app = await webhookApp(
        {},
        {
          storeId: sandbox.storeId,
          token: sandbox.token,
          apiBaseUrl: sandbox.apiBaseUrl,
          polling: { enabled: true, autoStart: false, startFrom: new Date(Date.now() - 3_600_000) },
          state: new EcwidMemoryStateStore(),
        },
      );
      // Held until all are queued, so the sender sees them at once.
      await receiver.stop();
      const burst = Array.from({ length: 30 }, () => orderWebhook('order.deleted', {}, { storeId: sandbox.storeId }));
      await Promise.all(burst.map((p) => deliver(app.url, p)));
      sandbox.seedOrders(25);
      await app.app.get(EcwidOrderPoller).pollNow();
      await receiver.start();
      await receiver.waitFor(() => receiver.delivered.flatMap((r) => r.body.message.events).length === 55, 10_000);
      const sizes = receiver.delivered.map((r) => r.body.message.events.length);
      const polled = receiver.delivered.filter((r) => r.body.message.events[0].eventType === 'CREATED').map((r) => r.body.message.events.length);
      const webhooked = receiver.delivered.filter((r) => r.body.message.events[0].eventType === 'DELETED').map((r) => r.body.message.events.length);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(20);
      expect(Math.max(...polled)).toBeLessThanOrEqual(10);
      expect(webhooked).toContain(20);
      expect(polled).toContain(10);
    } finally {
      await sandbox.stop();
    }
  });
});

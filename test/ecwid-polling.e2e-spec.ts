import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { Test, TestingModule } from '@nestjs/testing';
import {
  EcwidListenerError,
  EcwidMemoryStateStore,
  EcwidModule,
  EcwidModuleOptions,
  EcwidOrderEvent,
  EcwidOrderPoller,
  EcwidPollingProgress,
  EcwidStateStore,
} from 'nestjs-ecwid';
import { EcwidSandbox } from 'nestjs-ecwid/testing';
import { CapturingLogger } from './support/logger';
import { EventRecorder } from './support/recorder';

@Injectable()
class ProgressRecorder {
  readonly seen: EcwidPollingProgress[] = [];

  @OnEvent(EcwidPollingProgress.EVENT)
  record(progress: EcwidPollingProgress): void {
    this.seen.push(progress);
  }
}

/** A memory store whose lease another replica can be made to take, as one would after a lapse. */
class StealableLeaseStore extends EcwidMemoryStateStore {
  stolen = false;
  private refused: (() => void)[] = [];

  override async acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    if (!this.stolen) return super.acquireLease(key, holder, ttlMs);
    for (const refused of this.refused.splice(0)) refused();
    return false;
  }

  /** Resolves once a renewal of the lease was refused. */
  refusal(): Promise<void> {
    return new Promise((resolve) => this.refused.push(resolve));
  }

  /**
   * Has another replica hold the lease while `recorder`'s first event is handled, until a renewal is refused; with
   * `letGo`, that replica then gives it up.
   */
  takeDuringFirstEvent(recorder: EventRecorder, letGo: boolean): void {
    const original = recorder.record.bind(recorder);
    recorder.record = async (event) => {
      original(event);
      if (recorder.events.length === 1) {
        this.stolen = true;
        await this.refusal();
        if (letGo) this.stolen = false;
      }
    };
  }
}

/** A memory store that can be made unreachable for lease calls, as Redis is in an outage. */
class OutageStore extends EcwidMemoryStateStore {
  down = false;
  failedLeaseCalls = 0;

  override async acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    if (this.down) {
      this.failedLeaseCalls++;
      throw new Error('Connection is closed.');
    }
    return super.acquireLease(key, holder, ttlMs);
  }
}

/** A memory store whose lease calls wait at a gate, as a slow Redis would keep them waiting. */
class GatedLeaseStore extends EcwidMemoryStateStore {
  private gate?: Promise<void>;
  private open?: () => void;
  private waiting: (() => void)[] = [];

  shutGate(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  openGate(): void {
    this.open?.();
    this.gate = undefined;
  }

  /** Resolves once a lease call waits at the closed gate. */
  held(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  override async acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    if (this.gate) {
      for (const waiting of this.waiting.splice(0)) waiting();
      await this.gate;
    }
    return super.acquireLease(key, holder, ttlMs);
  }
}

describe('polling the orders API', () => {
  let clockOffsetMs = 0;
  /** The store's and the poller's clock, moved forward by tests instead of sleeping. */
  const clock = () => Date.now() + clockOffsetMs;
  let sandbox: EcwidSandbox;
  const refs: TestingModule[] = [];

  beforeAll(async () => {
    sandbox = await new EcwidSandbox({ now: clock }).start();
  });
  afterAll(() => sandbox.stop());
  beforeEach(() => {
    clockOffsetMs = 0;
    sandbox.reset();
  });
  afterEach(async () => {
    while (refs.length) await refs.pop()!.close();
  });

  async function start(
    polling: EcwidModuleOptions['polling'] = {},
    state: EcwidStateStore = new EcwidMemoryStateStore(),
    extra: Partial<EcwidModuleOptions> = {},
    logger?: CapturingLogger,
  ): Promise<{ poller: EcwidOrderPoller; recorder: EventRecorder; progress: ProgressRecorder; state: EcwidStateStore }> {
    const builder = Test.createTestingModule({
      imports: [
        EcwidModule.forRoot({
          storeId: sandbox.storeId,
          token: sandbox.token,
          apiBaseUrl: sandbox.apiBaseUrl,
          http: { maxRetries: 1, retryBaseDelayMs: 1, retryMaxDelayMs: 5, timeoutMs: 500 },
          polling: { enabled: true, autoStart: false, ...polling },
          state,
          clock,
          ...extra,
        }),
      ],
      providers: [EventRecorder, ProgressRecorder],
    });
    const ref = await (logger ? builder.setLogger(logger) : builder).compile();
    await ref.init();
    refs.push(ref);
    return { poller: ref.get(EcwidOrderPoller), recorder: ref.get(EventRecorder), progress: ref.get(ProgressRecorder), state };
  }

  const hourAgo = () => new Date(clock() - 3_600_000);
  /** Waits until `done` holds or `ms` have passed; the assertions after it say which. */
  const until = async (done: () => Promise<boolean> | boolean, ms: number) => {
    for (const deadline = Date.now() + ms; !(await done()) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
  };
  const laterSeconds = (s: number) => {
    clockOffsetMs += s * 1000;
  };

  it('backfills from a date, emitting the same events as webhooks with source polling', async () => {
    sandbox.seedOrders(250, (i) => ({ paymentStatus: i % 5 === 0 ? 'PAID' : 'AWAITING_PAYMENT', fulfillmentStatus: 'AWAITING_PROCESSING' }));
    const { poller, recorder, progress } = await start({ startFrom: hourAgo() });
    const result = await poller.pollNow();
    expect(result).toMatchObject({ polled: true, orders: 250, emitted: 250, duplicates: 0, deleted: 0 });
    const created = recorder.events.filter((e) => e.name === 'ecwid.order.created') as EcwidOrderEvent[];
    expect(created).toHaveLength(250);
    expect(new Set(created.map((e) => e.orderId)).size).toBe(250);
    expect(recorder.events.filter((e) => e.name === 'ecwid.order.paid')).toHaveLength(50);
    expect(created[0]).toMatchObject({ source: 'polling', dataOrigin: 'api', storeId: sandbox.storeId });
    expect(created[0].order).toMatchObject({ id: created[0].orderId });
    expect(progress.seen.length).toBeGreaterThanOrEqual(2);
    expect(progress.seen[progress.seen.length - 1]).toMatchObject({ done: true, ordersDone: 250, total: 250 });
    // Every report names the window, the ones made while it is read as the last.
    expect(progress.seen.map((p) => [p.from, p.to])).toEqual(progress.seen.map(() => [result.from, result.to]));

    recorder.events.length = 0;
    laterSeconds(5);
    expect(await poller.pollNow()).toMatchObject({ emitted: 0 });
    expect(recorder.events).toHaveLength(0);
  });

  it("ends a window at Ecwid's clock when this host's runs ahead, so a change made meanwhile is not skipped", async () => {
    const logger = new CapturingLogger();
    // This host's clock is two minutes ahead of the store's, four times the 30 s overlap.
    const { poller, recorder } = await start({ startFrom: hourAgo() }, undefined, { clock: () => clock() + 120_000 }, logger);
    expect(await poller.pollNow()).toMatchObject({ polled: true, emitted: 0 });
    laterSeconds(10);
    const order = sandbox.createOrder({ paymentStatus: 'AWAITING_PAYMENT', fulfillmentStatus: 'AWAITING_PROCESSING' });
    laterSeconds(5);
    await poller.pollNow();
    expect(recorder.names).toEqual(['ecwid.order.created']);
    expect((recorder.events[0] as EcwidOrderEvent).orderId).toBe(order.id);
    const warnings = logger.lines.filter((line) => line.includes("ahead of Ecwid's"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/about 12\d s ahead/);
  });

  /** An order created 10 s later is emitted, alone, by the cycle 5 s after it. */
  const expectTheNextOrderEmitted = async (poller: EcwidOrderPoller, recorder: EventRecorder) => {
    laterSeconds(10);
    const order = sandbox.createOrder();
    laterSeconds(5);
    await poller.pollNow();
    expect(recorder.events.map((e) => [e.name, (e as EcwidOrderEvent).orderId])).toEqual([['ecwid.order.created', order.id]]);
  };

  it("starts at Ecwid's clock on first start when this host's runs ahead, so a change made meanwhile is not skipped", async () => {
    const { poller, recorder } = await start({}, undefined, { clock: () => clock() + 120_000 });
    expect(await poller.pollNow()).toMatchObject({ polled: true, emitted: 0 });
    await expectTheNextOrderEmitted(poller, recorder);
  });

  it("ends a window at Ecwid's clock when this host's runs behind, so a change is not held back by the difference", async () => {
    const { poller, recorder } = await start({ startFrom: hourAgo() }, undefined, { clock: () => clock() - 300_000 });
    await poller.pollNow();
    await expectTheNextOrderEmitted(poller, recorder);
  });

  it('reads a window with pages of one order, which leave no room to start a page at the last one read', async () => {
    sandbox.seedOrders(3);
    const { poller, recorder } = await start({ startFrom: hourAgo(), pageSize: 1 });
    expect(await poller.pollNow()).toMatchObject({ polled: true, orders: 3, emitted: 3 });
    expect(recorder.names).toEqual(['ecwid.order.created', 'ecwid.order.created', 'ecwid.order.created']);
  });

  it.each([
    [50, 300, 120],
    [1, 30, 12],
  ])('reads a window again when orders moved between two pages of %i without changing the total', async (pageSize, orders, movedAt) => {
    laterSeconds(-600);
    sandbox.seedOrders(orders);
    laterSeconds(600);
    const seeded = sandbox.listOrders();
    const { poller, recorder } = await start({ startFrom: hourAgo(), pageSize });
    // While a page is handled, an order already read leaves the window and a new one enters it (as a change lagging
    // in Ecwid's search would): the total stays, and every order after the first moves up a place.
    const push = recorder.events.push.bind(recorder.events);
    recorder.events.push = (...events) => {
      const count = push(...events);
      if (count === movedAt) {
        sandbox.deleteOrder(seeded[0].id);
        sandbox.createOrder();
      }
      return count;
    };
    await poller.pollNow();
    const created = new Set(recorder.events.filter((e) => e.name === 'ecwid.order.created').map((e) => (e as EcwidOrderEvent).orderId));
    expect(seeded.filter((order) => !created.has(order.id)).map((order) => order.id)).toEqual([]);
  });

  it('starts from now by default, then emits updates with old statuses from its snapshots, and deletions', async () => {
    laterSeconds(-10);
    const before = sandbox.createOrder({ paymentStatus: 'AWAITING_PAYMENT', fulfillmentStatus: 'PROCESSING' });
    laterSeconds(10);
    const { poller, recorder } = await start();
    expect(await poller.pollNow()).toMatchObject({ polled: true, emitted: 0 });
    expect(recorder.events).toHaveLength(0);

    laterSeconds(3);
    const order = sandbox.createOrder({ paymentStatus: 'AWAITING_PAYMENT', fulfillmentStatus: 'AWAITING_PROCESSING' });
    laterSeconds(3);
    await poller.pollNow();
    expect(recorder.names).toEqual(['ecwid.order.created']);

    laterSeconds(10);
    sandbox.updateOrder(order.id, { paymentStatus: 'PAID', fulfillmentStatus: 'SHIPPED' });
    laterSeconds(3);
    sandbox.deleteOrder(before.id);
    laterSeconds(3);
    await poller.pollNow();
    expect(recorder.names).toEqual([
      'ecwid.order.created',
      'ecwid.order.updated',
      'ecwid.order.paid',
      'ecwid.order.payment_status_changed',
      'ecwid.order.fulfillment_status_changed',
      'ecwid.order.deleted',
    ]);
    const updated = recorder.events[1] as EcwidOrderEvent;
    expect([updated.oldPaymentStatus, updated.newPaymentStatus, updated.oldFulfillmentStatus, updated.newFulfillmentStatus]).toEqual([
      'AWAITING_PAYMENT',
      'PAID',
      'AWAITING_PROCESSING',
      'SHIPPED',
    ]);
    const deleted = recorder.events[5] as EcwidOrderEvent;
    expect(deleted.internalId).toBe(before.internalId);
  });

  it('holds the cursor when a listener fails, and delivers the window once on the next cycle', async () => {
    sandbox.seedOrders(30);
    const { poller, recorder, state } = await start({ startFrom: hourAgo(), pageSize: 10 });
    recorder.failures = 1;
    await expect(poller.pollNow()).rejects.toThrow(EcwidListenerError);
    expect(recorder.events).toHaveLength(0);
    const cursorAfterFailure = await state.getCursor(`${sandbox.storeId}:orders`);
    expect(cursorAfterFailure).toBeUndefined();

    await poller.pollNow();
    const ids = (recorder.events as EcwidOrderEvent[]).map((e) => e.orderId);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    expect(await state.getCursor(`${sandbox.storeId}:orders`)).toEqual(expect.any(Number));
  });

  it('loses no change when orders move between pages while a cycle pages through them', async () => {
    // Placed ten minutes ago, well before the overlap, so only the paging itself can catch a moved order.
    laterSeconds(-600);
    sandbox.seedOrders(300, () => ({ paymentStatus: 'AWAITING_PAYMENT' }));
    laterSeconds(600);
    const { poller, recorder } = await start({ startFrom: hourAgo(), pageSize: 50 });
    const all = sandbox.listOrders();
    let mutated = false;
    const original = recorder.record.bind(recorder);
    // When the 120th event arrives, the merchant marks 40 earlier orders paid: they leave the window mid-cycle.
    recorder.record = (event) => {
      original(event);
      if (!mutated && recorder.events.length === 120) {
        mutated = true;
        laterSeconds(5);
        for (const order of all.slice(0, 40)) sandbox.updateOrder(order.id, { paymentStatus: 'PAID' });
      }
    };
    await poller.pollNow();
    expect(mutated).toBe(true);
    laterSeconds(5);
    await poller.pollNow();

    const createdIds = (recorder.events.filter((e) => e.name === 'ecwid.order.created') as EcwidOrderEvent[]).map((e) => e.orderId);
    expect(new Set(createdIds).size).toBe(300);
    expect(createdIds).toHaveLength(300);
    const paidIds = (recorder.events.filter((e) => e.name === 'ecwid.order.paid') as EcwidOrderEvent[]).map((e) => e.orderId);
    expect(paidIds.sort()).toEqual(all.slice(0, 40).map((o) => o.id).sort());
  });

  it('rides out 429 bursts, 500s, timeouts and dropped connections: nothing lost, nothing twice', async () => {
    sandbox.seedOrders(120);
    const { poller, recorder } = await start({ startFrom: hourAgo(), pageSize: 20 });
    sandbox.injectFault({ match: { path: '/orders' }, status: 429, retryAfterSeconds: 1, times: 1 });
    sandbox.injectFault({ match: { path: '/orders' }, status: 500, times: 3 });
    sandbox.injectFault({ match: { path: '/orders' }, delayMs: 800, times: 1 });
    sandbox.injectFault({ match: { path: '/orders' }, drop: true, times: 2 });
    for (let cycle = 0; cycle < 6; cycle++) {
      try {
        await poller.pollNow();
        break;
      } catch {
        // the cursor is held; the next cycle retries the window
      }
    }
    const ids = (recorder.events as EcwidOrderEvent[]).map((e) => e.orderId);
    expect(ids).toHaveLength(120);
    expect(new Set(ids).size).toBe(120);
    expect(sandbox.requests.some((r) => r.status === 429)).toBe(true);
  });

  it('stops a cycle before its next emit once a renewal finds the lease taken, holding the cursor', async () => {
    sandbox.seedOrders(5);
    const state = new StealableLeaseStore();
    const { poller, recorder } = await start({ startFrom: hourAgo(), leaseTtlMs: 1000 }, state);
    // While the first order's listener runs, another replica takes the lease; the renewal timer finds it gone.
    state.takeDuringFirstEvent(recorder, false);
    await expect(poller.pollNow()).rejects.toThrow('another replica took the polling lease');
    expect(recorder.events.filter((e) => e.name === 'ecwid.order.created')).toHaveLength(1);
    expect(await state.getCursor(`${sandbox.storeId}:orders`)).toBeUndefined();
  });

  it('polls again on its interval once the state store is back, logging the outage once instead of backing off', async () => {
    const state = new OutageStore();
    const logger = new CapturingLogger();
    const { recorder } = await start({ autoStart: true, intervalMinutes: 1 / 60, leaseTtlMs: 1000 }, state, {}, logger);
    await until(async () => (await state.getCursor(`${sandbox.storeId}:orders`)) !== undefined, 5000);
    state.down = true;
    // Eight failed renewals in a row: a backoff doubled per tick would put the next cycle 2^7 intervals away.
    await until(() => state.failedLeaseCalls >= 8, 10_000);
    state.down = false;
    laterSeconds(2);
    const order = sandbox.createOrder();
    laterSeconds(2);
    await until(() => recorder.events.length > 0, 10_000);
    expect((recorder.events as EcwidOrderEvent[]).map((e) => [e.name, e.orderId])).toEqual([['ecwid.order.created', order.id]]);
    expect(logger.lines.filter((line) => line.includes('the polling lease cannot be renewed'))).toHaveLength(1);
    expect(logger.lines.filter((line) => line.includes('polling window held'))).toEqual([]);
  });

  it('takes a cycle cut short by a lost lease for no failure: no warning, and the whole window once it holds the lease again', async () => {
    sandbox.seedOrders(5);
    const state = new StealableLeaseStore();
    const logger = new CapturingLogger();
    const polling = { autoStart: true, intervalMinutes: 1 / 60, leaseTtlMs: 1000, startFrom: hourAgo() };
    const { recorder } = await start(polling, state, {}, logger);
    // Before the first tick, which init only scheduled: another replica holds the lease for a moment while the first
    // order's listener runs, then lets it go.
    state.takeDuringFirstEvent(recorder, true);
    const ids = () => new Set(recorder.events.map((e) => e.eventId));
    await until(() => ids().size >= 5, 10_000);
    expect(ids().size).toBe(5);
    expect(logger.lines.filter((line) => line.includes('polling cycle stopped before its end'))).toHaveLength(1);
    expect(logger.lines.filter((line) => line.includes('polling window held'))).toEqual([]);
  });

  it('sends whole seconds to Ecwid when the stored cursor is fractional, and stores a whole cursor', async () => {
    sandbox.seedOrders(3);
    const state = new EcwidMemoryStateStore();
    await state.setCursor(`${sandbox.storeId}:orders`, Math.floor(hourAgo().getTime() / 1000) + 0.5);
    const { poller, recorder } = await start({}, state);
    expect(await poller.pollNow()).toMatchObject({ polled: true, emitted: 3 });
    expect(recorder.events.filter((e) => e.name === 'ecwid.order.created')).toHaveLength(3);
    expect(Number.isInteger(await state.getCursor(`${sandbox.storeId}:orders`))).toBe(true);
    laterSeconds(5);
    expect(await poller.pollNow()).toMatchObject({ polled: true, emitted: 0 });
  });

  it('on shutdown waits for a tick still taking the lease, starts no cycle after it and leaves the lease free', async () => {
    sandbox.seedOrders(3);
    const state = new GatedLeaseStore();
    state.shutGate();
    const held = state.held();
    const ref = await Test.createTestingModule({
      imports: [
        EcwidModule.forRoot({
          storeId: sandbox.storeId,
          token: sandbox.token,
          apiBaseUrl: sandbox.apiBaseUrl,
          polling: { enabled: true, leaseTtlMs: 60_000, startFrom: hourAgo() },
          state,
          clock,
        }),
      ],
      providers: [EventRecorder],
    }).compile();
    await ref.init();
    await held;
    const closing = ref.close();
    // The tick resumes only once shutdown has had its chance to run past it.
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 200))]);
    state.openGate();
    await closing;
    // Whatever the tick would still do happens in the next turns of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ref.get(EventRecorder).events).toHaveLength(0);
    expect(sandbox.requests.filter((r) => r.path.startsWith('/orders'))).toHaveLength(0);
    expect(await state.acquireLease(`${sandbox.storeId}:orders:poller`, 'another-replica', 1000)).toBe(true);
  });

  it('lets one poller at a time hold the lease of a store', async () => {
    const shared = new EcwidMemoryStateStore();
    sandbox.seedOrders(10);
    const first = await start({ startFrom: hourAgo() }, shared);
    const second = await start({ startFrom: hourAgo() }, shared);
    expect(await first.poller.pollNow()).toMatchObject({ polled: true, emitted: 10 });
    expect(await second.poller.pollNow()).toMatchObject({ polled: false });
    expect(second.recorder.events).toHaveLength(0);
  });

  it('polls on its own, on the interval the instance JSON gives', async () => {
    const { recorder, state } = await start(
      { enabled: undefined, autoStart: undefined },
      new EcwidMemoryStateStore(),
      { configuration: { 'event.vendor.type': 'polling', 'event.poller.refresh_interval': '0.017' } },
    );
    // Its first cycle marks "now"; only what changes after that is news.
    await until(async () => (await state.getCursor(`${sandbox.storeId}:orders`)) !== undefined, 5000);
    laterSeconds(2);
    sandbox.createOrder();
    laterSeconds(2);
    await until(() => recorder.events.length > 0, 5000);
    expect(recorder.names).toEqual(['ecwid.order.created']);
  });
});

import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { EcwidHeldLease, EcwidLeaseLostError } from '../state/ecwid-held-lease';
import { ecwidLeaseHolderId } from '../state/ecwid-lease-holder';
import { ECWID_RESOLVED_CONFIG, ECWID_STATE_STORE } from '../ecwid.constants';
import { EcwidEventDispatcher } from '../events/ecwid-event.dispatcher';
import { createEcwidEvent, EcwidEventFacts } from '../events/ecwid-event.factory';
import { EcwidEventPipeline } from '../events/ecwid-event.pipeline';
import { EcwidLogThrottle } from '../events/ecwid-loggable';
import { EcwidOrderEvent } from '../events/ecwid-events';
import type { EcwidOrder } from '../orders/ecwid-order.model';
import { EcwidOrdersService } from '../orders/ecwid-orders.service';
import type { EcwidOrderSnapshot, EcwidStateStore } from '../state/ecwid-state-store.interface';
import { classifyDeletedOrder, classifyPolledOrder, parseEcwidDateSeconds, snapshotOf } from './ecwid-poll-classifier';
import { EcwidPollingProgress } from './ecwid-polling-progress';

/** What one cycle did. */
export interface EcwidPollResult {
  /** False when another replica holds the lease, so this one did not poll. */
  polled: boolean;
  from?: Date;
  to?: Date;
  orders: number;
  deleted: number;
  emitted: number;
  duplicates: number;
  pages: number;
}

/** One cycle's window, in UNIX seconds, and Ecwid's clock at its first read (from the answer's `Date` header). */
interface PollWindow {
  from: number;
  to: number;
  ecwidNow?: number;
}

/**
 * A window ending this far ahead of Ecwid's clock is logged: this host's clock is wrong. The `Date` header has whole
 * seconds, so a second or two is the header's rounding and the answer's time in transit.
 */
const CLOCK_AHEAD_NOTICE_SECONDS = 5;
const CLOCK_AHEAD_LOG_INTERVAL_MS = 60 * 60 * 1000;

/** Windows that still change after this many passes are left to the next cycle's overlap. */
const MAX_PASSES = 3;
const PROGRESS_LOG_INTERVAL_MS = 5_000;
const MAX_BACKOFF_MS = 15 * 60_000;

/**
 * The polling source: every interval, reads the orders changed in [cursor, now] and the deletions in the
 * same window, and hands each change to the pipeline as the same events webhooks produce (`source: 'polling'`).
 * The cursor moves only after the whole window was handled; one replica polls a store at a time, by lease.
 */
@Injectable()
export class EcwidOrderPoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('EcwidPolling');
  private readonly holder = ecwidLeaseHolderId();
  private timer?: NodeJS.Timeout;
  /** The tick under way, which shutdown waits for: it may be waiting on the lease. */
  private ticking?: Promise<void>;
  private running?: Promise<unknown>;
  /** Cycles in this process run one after another, whether the timer or pollNow() started them. */
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private holding = false;
  /** Failed cycles in a row: the backoff before the next one doubles with each. */
  private failures = 0;
  private nextCycleAt = 0;
  private renewalFailing = false;
  private readonly clockAheadLog = new EcwidLogThrottle(CLOCK_AHEAD_LOG_INTERVAL_MS);

  constructor(
    @Inject(ECWID_RESOLVED_CONFIG) private readonly config: EcwidResolvedConfig,
    @Inject(ECWID_STATE_STORE) private readonly state: EcwidStateStore,
    private readonly orders: EcwidOrdersService,
    private readonly pipeline: EcwidEventPipeline,
    private readonly dispatcher: EcwidEventDispatcher,
  ) {}

  private get leaseKey(): string {
    return `${this.config.storeId}:orders:poller`;
  }

  private get cursorKey(): string {
    return `${this.config.storeId}:orders`;
  }

  /** Whether this replica holds the polling lease (as of its last attempt). */
  get isLeader(): boolean {
    return this.holding;
  }

  onApplicationBootstrap(): void {
    if (!this.config.polling.enabled || !this.config.polling.autoStart) return;
    this.logger.log(
      `Store ${this.config.storeId}: polling orders every ${this.config.polling.intervalMs / 60_000} min as ${this.holder}`,
    );
    if (!this.config.token) {
      this.logger.warn(`Store ${this.config.storeId}: polling the legacy API, which keeps no deleted-orders history: deletions are not seen`);
    }
    this.schedule(0);
  }

  /** Waits for the tick and the cycle under way, which stop at their next step, then releases the lease last. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await this.running;
    if (this.holding) await this.state.releaseLease(this.leaseKey, this.holder).catch(() => undefined);
    this.holding = false;
  }

  /** Runs one cycle now if this replica holds (or can take) the lease; failures are thrown, the cursor held. */
  async pollNow(): Promise<EcwidPollResult> {
    return this.serialized(() => this.cycle());
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    this.running = this.queue;
    return run;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => (this.ticking = undefined));
    }, delayMs);
  }

  /** Renews or takes the lease often enough that a standby replica takes over within one lease period. */
  private async tick(): Promise<void> {
    const renewed = await this.renewOnTick();
    if (this.stopped) return;
    if (renewed) await this.cycleIfDue();
    const renewEvery = Math.floor(this.config.polling.leaseTtlMs / 4);
    // Only a holder waits for its next cycle; a standby, or a failed renewal, waits the renewal cadence.
    this.schedule(renewed && this.holding ? Math.max(0, Math.min(renewEvery, this.nextCycleAt - Date.now())) : renewEvery);
  }

  /**
   * A renewal that fails (the state store is unreachable) is no failed cycle: it is retried at the renewal cadence,
   * logged once per outage, and leaves the cycle backoff alone, so polling resumes on time once the store is back.
   */
  private async renewOnTick(): Promise<boolean> {
    const held = this.holding;
    try {
      this.holding = await this.state.acquireLease(this.leaseKey, this.holder, this.config.polling.leaseTtlMs);
    } catch (error) {
      if (!this.renewalFailing) {
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.warn(`Store ${this.config.storeId}: the polling lease cannot be renewed, retrying: ${reason}`);
      }
      this.renewalFailing = true;
      return false;
    }
    if (this.renewalFailing) this.logger.log(`Store ${this.config.storeId}: the polling lease can be renewed again`);
    this.renewalFailing = false;
    if (this.holding !== held) {
      this.logger.log(`Store ${this.config.storeId}: ${this.holder} ${this.holding ? 'holds the polling lease' : 'lost the polling lease'}`);
    }
    return true;
  }

  private async cycleIfDue(): Promise<void> {
    if (!this.holding || Date.now() < this.nextCycleAt) return;
    try {
      await this.serialized(() => this.cycle());
      this.failures = 0;
      this.nextCycleAt = Date.now() + this.config.polling.intervalMs;
    } catch (error) {
      // The window did not fail: the lease holder, or this replica once it holds the lease again, reads it whole.
      if (error instanceof EcwidLeaseLostError) {
        if (!this.stopped) this.logger.log(`Store ${this.config.storeId}: polling cycle stopped before its end: ${error.message}`);
        return;
      }
      this.failures++;
      const backoff = Math.min(this.config.polling.intervalMs * 2 ** (this.failures - 1), Math.max(MAX_BACKOFF_MS, this.config.polling.intervalMs));
      this.nextCycleAt = Date.now() + backoff;
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn(`Store ${this.config.storeId}: polling window held, retried in ${Math.round(backoff / 1000)} s: ${reason}`);
    }
  }

  private async cycle(): Promise<EcwidPollResult> {
    const result: EcwidPollResult = { polled: false, orders: 0, deleted: 0, emitted: 0, duplicates: 0, pages: 0 };
    if (this.stopped) return result;
    const takenAt = Date.now();
    if (!(await this.takeLease()) || this.stopped) return result;
    const lease = new EcwidHeldLease('polling', () => this.takeLease(), takenAt, this.config.polling.leaseTtlMs, () => this.stopped);
    try {
      return await this.pollWindow(result, lease);
    } finally {
      lease.stop();
    }
  }

  private async pollWindow(result: EcwidPollResult, lease: EcwidHeldLease): Promise<EcwidPollResult> {
    result.polled = true;
    const now = Math.floor(this.config.clock() / 1000);
    const cursor = (await this.state.getCursor(this.cursorKey)) ?? this.config.polling.startFrom;
    if (cursor === undefined) {
      // First start without a backfill date: changes from now on.
      await this.state.setCursor(this.cursorKey, await this.firstCursor(now));
      return result;
    }
    // Whole seconds: Ecwid answers 400 to a fractional updatedFrom, and a cursor stored by a custom store may be one.
    const from = Math.floor(cursor);
    const progress = new ProgressReporter(this.config.storeId, result, this.logger, (p) =>
      this.dispatcher.notify(EcwidPollingProgress.EVENT, p),
    );
    // This host's guess at the end, which the first read confirms or moves (see readChanges).
    const window: PollWindow = { from, to: Math.max(now, from) };
    result.from = new Date(from * 1000);
    result.to = new Date(window.to * 1000);
    for (let pass = 1; ; pass++) {
      const stable = await this.readChanges(window, result, progress, lease);
      if (stable) break;
      if (pass >= MAX_PASSES) {
        this.logger.warn(`Store ${this.config.storeId}: window kept changing over ${MAX_PASSES} passes; the overlap covers it next cycle`);
        break;
      }
    }
    const { to } = window;
    await this.readDeletions(from, to, result, lease);
    if (window.ecwidNow !== undefined && now - window.ecwidNow > CLOCK_AHEAD_NOTICE_SECONDS) this.noteClockAhead(now - window.ecwidNow);
    // The cursor is where the next window starts: the overlap re-reads this window's tail, as Ecwid's search can lag.
    await this.state.setCursor(this.cursorKey, Math.max(from, to - this.config.polling.overlapSeconds));
    await progress.finish();
    return result;
  }

  /**
   * Where the first window starts: now by Ecwid's clock (one read to learn it) or this host's, whichever is earlier.
   * By this host's clock alone, a host ahead of Ecwid's would start past the changes Ecwid dates in between, and
   * never read them.
   */
  private async firstCursor(now: number): Promise<number> {
    await this.orders.search({ limit: 1 });
    const answeredAt = this.orders.serverTime();
    return answeredAt ? Math.min(now, Math.floor(answeredAt.getTime() / 1000)) : now;
  }

  /**
   * Pages through the window. Its end is Ecwid's clock at the first read, whatever this host's says: ahead, it would
   * let changes Ecwid dates before it enter during the pass and be passed over by the cursor; behind, it would hold
   * back every change by the difference (the first read, when this host's guess was another end, is read again). Orders updated meanwhile leave it (their new time is past `to`), moving later ones up a place:
   * on a smaller total the offset steps back by as much. Each page is read from the last order of the page before: when
   * that order is not first, orders moved without changing the total (one left as another entered, lagging in Ecwid's
   * search), and the window is read again, as when the total grew. Returns whether the window held still.
   */
  private async readChanges(window: PollWindow, result: EcwidPollResult, progress: ProgressReporter, lease: EcwidHeldLease): Promise<boolean> {
    const { pageSize } = this.config.polling;
    let offset = 0;
    let lastTotal: number | undefined;
    let boundary: number | undefined;
    let stable = true;
    for (;;) {
      await lease.renew();
      // A page read from the last order of the one before holds at least one more, whatever the page size.
      const limit = boundary === undefined ? pageSize : Math.max(2, pageSize);
      const page = await this.orders.search({ updatedFrom: window.from, updatedTo: window.to, offset, limit });
      if (window.ecwidNow === undefined) {
        const answeredAt = this.orders.serverTime();
        if (answeredAt) {
          window.ecwidNow = Math.floor(answeredAt.getTime() / 1000);
          const to = Math.max(window.from, window.ecwidNow);
          if (to !== window.to) {
            window.to = to;
            result.to = new Date(to * 1000);
            continue;
          }
        }
      }
      if (lastTotal !== undefined && page.total < lastTotal) {
        offset = Math.max(0, offset - (lastTotal - page.total));
        lastTotal = page.total;
        boundary = undefined;
        continue;
      }
      if (lastTotal !== undefined && page.total > lastTotal) stable = false;
      lastTotal = page.total;
      let orders = page.items;
      if (boundary !== undefined) {
        if (orders[0]?.internalId === boundary) orders = orders.slice(1);
        else stable = false;
      }
      await this.handleOrders(orders, result, lease);
      result.pages++;
      await progress.page(page.total);
      const end = offset + page.items.length;
      if (page.items.length === 0 || end >= page.total) return stable;
      // Nothing past the last order of the page before: the answer contradicts its own total, so read the window again.
      if (boundary !== undefined && orders.length === 0) return false;
      boundary = page.items[page.items.length - 1].internalId;
      offset = end - 1;
    }
  }

  private async handleOrders(orders: EcwidOrder[], result: EcwidPollResult, lease: EcwidHeldLease): Promise<void> {
    const { storeId } = this.config;
    const snapshots = await this.state.getSnapshots(storeId, orders.map((o) => o.internalId));
    const seen: EcwidOrderSnapshot[] = [];
    try {
      for (const order of orders) {
        result.orders++;
        const facts = classifyPolledOrder(storeId, order, snapshots.get(order.internalId), this.config.polling.createdToleranceSeconds);
        if (!facts) continue;
        await this.emit(lease, facts, result, order);
        seen.push(snapshotOf(order));
      }
    } finally {
      if (seen.length > 0) await this.state.putSnapshots(storeId, seen);
    }
  }

  private async readDeletions(from: number, to: number, result: EcwidPollResult, lease: EcwidHeldLease): Promise<void> {
    // The legacy API keeps no deleted-orders history: with legacy keys only, deletions cannot be polled.
    if (!this.config.token) return;
    const { storeId } = this.config;
    const { pageSize } = this.config.polling;
    for (let offset = 0; ; ) {
      await lease.renew();
      const page = await this.orders.deleted({ from, to, offset, limit: pageSize });
      const ids = page.items.map((d) => Number(d.id));
      const snapshots = await this.state.getSnapshots(storeId, ids);
      const gone: number[] = [];
      try {
        for (const [index, deleted] of page.items.entries()) {
          const deletedAt = parseEcwidDateSeconds(deleted.date) ?? to;
          await this.emit(lease, classifyDeletedOrder(storeId, ids[index], deletedAt, snapshots.get(ids[index])), result);
          result.deleted++;
          gone.push(ids[index]);
        }
      } finally {
        if (gone.length > 0) await this.state.deleteSnapshots(storeId, gone);
      }
      offset += page.items.length;
      result.pages++;
      if (page.items.length === 0 || offset >= page.total) return;
    }
  }

  private async emit(lease: EcwidHeldLease, facts: EcwidEventFacts, result: EcwidPollResult, order?: EcwidOrder): Promise<void> {
    lease.assertHeld();
    const event = createEcwidEvent(facts, 'polling', 'api');
    if (order && event instanceof EcwidOrderEvent) event.order = order;
    // Holding the lease (checked just above, renewed on a timer) makes this poller the only handler of polling events:
    // an in-flight claim is a dead holder's, or one whose emit began before its lease lapsed.
    if ((await this.pipeline.process(event, { takeOver: true })) === 'emitted') result.emitted++;
    else result.duplicates++;
  }

  private noteClockAhead(seconds: number): void {
    if (this.clockAheadLog.note(Date.now()) === 0) return;
    this.logger.warn(
      `Store ${this.config.storeId}: this host's clock is about ${seconds} s ahead of Ecwid's (by the Date header of ` +
        "Ecwid's answers): polling windows end at Ecwid's time instead, and nothing is lost. Set the clock right (NTP)",
    );
  }

  /** Takes or renews the lease. */
  private async takeLease(): Promise<boolean> {
    this.holding = await this.state.acquireLease(this.leaseKey, this.holder, this.config.polling.leaseTtlMs);
    return this.holding;
  }
}

/** Reports a window that spans several pages: an event per page, a log line every few seconds. */
class ProgressReporter {
  private readonly startedAt = Date.now();
  private lastLogAt = Date.now();
  private firstTotal?: number;

  constructor(
    private readonly storeId: number,
    private readonly result: EcwidPollResult,
    private readonly logger: Logger,
    private readonly notify: (progress: EcwidPollingProgress) => Promise<void>,
  ) {}

  async page(total: number): Promise<void> {
    this.firstTotal ??= total;
    if (this.firstTotal <= this.result.orders && this.result.pages === 1) return;
    await this.report(false);
  }

  async finish(): Promise<void> {
    if (this.result.pages > 2) await this.report(true);
  }

  private async report(done: boolean): Promise<void> {
    const seconds = Math.max(0.001, (Date.now() - this.startedAt) / 1000);
    const rate = Math.round(this.result.orders / seconds);
    const progress = new EcwidPollingProgress(
      this.storeId,
      this.result.from!,
      this.result.to!,
      this.firstTotal ?? 0,
      this.result.orders,
      this.result.pages,
      this.result.emitted,
      rate,
      done,
    );
    if (done || Date.now() - this.lastLogAt >= PROGRESS_LOG_INTERVAL_MS) {
      this.lastLogAt = Date.now();
      this.logger.log(
        `Store ${this.storeId}: ${done ? 'window done' : 'polling'}: ${this.result.orders}/${this.firstTotal} orders, ` +
          `${this.result.pages} pages, ${rate} orders/s, ${this.result.emitted} events`,
      );
    }
    await this.notify(progress);
  }
}

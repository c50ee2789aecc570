import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import axios, { AxiosInstance } from 'axios';
import { randomUUID } from 'node:crypto';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { requestWithin } from '../orders/ecwid-axios';
import { retryAfterSeconds } from '../orders/ecwid-retry';
import { EcwidHeldLease } from '../state/ecwid-held-lease';
import { ecwidLeaseHolderId } from '../state/ecwid-lease-holder';
import { ECWID_RESOLVED_CONFIG, ECWID_STATE_STORE, NOTIFY_BATCH_POLLING, NOTIFY_BATCH_WEBHOOK } from '../ecwid.constants';
import { EcwidEventDispatcher } from '../events/ecwid-event.dispatcher';
import type { EcwidStateStore } from '../state/ecwid-state-store.interface';
import {
  EcwidFailedNotification,
  EcwidNotificationBody,
  EcwidNotificationProblem,
  EcwidOutboxEntry,
  EcwidQueuedNotification,
  EcwidStoredNotification,
} from './ecwid-notification.model';
import { outboxCollections, sequenceId } from './ecwid-notification.outbox';
import { signEcwidNotification } from './ecwid-notification.signature';

/** How often the sender looks at the outbox; also how soon a new entry leaves. */
const TICK_MS = 250;
/** Entries read per page: bounds memory whatever the backlog. */
const ENTRIES_PER_PAGE = 200;
/** Entries formed into notifications per tick, at most. */
const ENTRIES_FORMED_PER_TICK = 200;
/**
 * How far past entries of blocked orders (those with a notification still being retried) a tick reads for others.
 * Reading always starts at the oldest entry, so an entry is never formed before an older one of its order; entries
 * further back wait until the backlog ahead of them is sent.
 */
const ENTRIES_READ_PER_TICK = 5000;
const DISABLED_FLAG = 'disabled';
/** How long shutdown lets a send under way run before cutting it. */
const SHUTDOWN_GRACE_MS = 2_000;
/**
 * How long a sender with nothing to send skips its rounds' full reads, at most: how late it sees a notification that
 * another replica replayed, or an outbox entry written out of sequence order. Its own replays and new outbox entries
 * end the wait at once.
 */
const MAX_IDLE_MS = 5_000;

/** One round of forming and sending: the lease it runs under, and when it ends. */
interface Round {
  lease: EcwidHeldLease;
  endsAt: number;
  /** The newest outbox entry the round read. */
  lastEntryId?: string;
}

/**
 * A sender with nothing to send until the earliest retry is due (`dueAt`, by the module's clock), for MAX_IDLE_MS
 * at most (`until`, in real time), unless an outbox entry newer than `lastEntryId` arrives.
 */
interface Idle {
  dueAt: number;
  until: number;
  lastEntryId?: string;
}

/** A pending notification in a round: the body is at hand for those formed in it, and read for the others when sent. */
interface Queued {
  n: EcwidQueuedNotification;
  body?: string;
}

/**
 * Sends the outbox to the callback URL in the Cloud Elements notification shape, one sender per store (by lease),
 * keeping per-order order: a notification is not sent while an earlier one that holds the same order is unsent.
 * Retry n of a failed send is due `retryUnitMs * 4^n` after its first failure, by the module's clock; after the last it
 * is parked. 410 Gone stops all sending until `enable()`.
 */
@Injectable()
export class EcwidNotificationsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('EcwidNotifications');
  private readonly holder = ecwidLeaseHolderId();
  private readonly http: AxiosInstance;
  private readonly collections: ReturnType<typeof outboxCollections>;
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Aborted once shutdown's grace is over: cuts a send under way. */
  private readonly stopping = new AbortController();
  private idle?: Idle;
  /** Bumped by what changes the queue outside a round (replay, enable): a round that began before may not go idle. */
  private queueChanges = 0;

  constructor(
    @Inject(ECWID_RESOLVED_CONFIG) private readonly config: EcwidResolvedConfig,
    @Inject(ECWID_STATE_STORE) private readonly state: EcwidStateStore,
    private readonly dispatcher: EcwidEventDispatcher,
  ) {
    this.collections = outboxCollections(config.storeId);
    this.http = axios.create({ validateStatus: () => true, maxRedirects: 0 });
  }

  private get leaseKey(): string {
    return `${this.config.storeId}:notifier`;
  }

  onApplicationBootstrap(): void {
    if (!this.config.events.notificationEnabled) return;
    this.logger.log(`Store ${this.config.storeId}: notifications go to ${new URL(this.config.events.callbackUrl!).origin}`);
    this.schedule();
  }

  /**
   * Lets a send under way finish for a moment, then cuts it: a callback that hangs would otherwise hold the app's
   * shutdown for `timeoutMs`. A send cut short stays pending under its id, sent again (and deduped by the receiver,
   * if it got there) by the next sender, and counts as no attempt.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (!this.config.events.notificationEnabled) return;
    clearTimeout(this.timer);
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, SHUTDOWN_GRACE_MS)));
    await Promise.race([this.running, grace]);
    clearTimeout(graceTimer);
    this.stopping.abort();
    await this.running;
    await this.state.releaseLease(this.leaseKey, this.holder).catch(() => undefined);
  }

  /** Notifications given up after their last retry. */
  async listFailed(): Promise<EcwidFailedNotification[]> {
    const parked = await this.state.listRecords(this.collections.parked);
    return parked.map(({ value }) => {
      const n = JSON.parse(value) as EcwidStoredNotification;
      return {
        id: n.id,
        attempts: n.attempts,
        createdAt: new Date(n.createdAt),
        lastStatus: n.lastStatus,
        lastError: n.lastError,
        body: JSON.parse(n.body) as EcwidNotificationBody,
      };
    });
  }

  /** Sends a parked notification again, with a fresh retry budget; the same id, so receivers can dedupe. */
  async replay(notificationId: string): Promise<boolean> {
    const parked = await this.state.listRecords(this.collections.parked);
    const found = parked.find(({ value }) => (JSON.parse(value) as EcwidStoredNotification).id === notificationId);
    if (!found) return false;
    const n = JSON.parse(found.value) as EcwidStoredNotification;
    await this.savePending({ ...n, attempts: 0, firstFailedAt: undefined, nextAttemptAt: this.config.clock() });
    await this.state.deleteRecords(this.collections.parked, [found.id]);
    this.wake();
    return true;
  }

  async replayAll(): Promise<number> {
    let replayed = 0;
    for (const failed of await this.listFailed()) if (await this.replay(failed.id)) replayed++;
    return replayed;
  }

  /** Whether a 410 Gone from the callback URL stopped the subscription. */
  async isDisabled(): Promise<boolean> {
    const flags = await this.state.listRecords(this.collections.flags);
    return flags.some((f) => f.id === DISABLED_FLAG);
  }

  /** Resumes sending after a 410 Gone; what queued meanwhile goes out in order. */
  async enable(): Promise<void> {
    await this.state.deleteRecords(this.collections.flags, [DISABLED_FLAG]);
    this.wake();
  }

  /** Ends the idle wait, also one that a round under way would begin: it read the queue before this change. */
  private wake(): void {
    this.idle = undefined;
    this.queueChanges += 1;
  }

  /** Entries not yet in a notification, and notifications not yet delivered. */
  async backlog(): Promise<{ entries: number; pending: number; parked: number }> {
    const [entries, pending, parked] = await Promise.all(
      [this.collections.entries, this.collections.pending, this.collections.parked].map((c) => this.state.listRecords(c)),
    );
    return { entries: entries.length, pending: pending.length, parked: parked.length };
  }

  /** One full round of forming and sending, if this replica holds the sender's lease. Exposed for tests and hosts. */
  async sendDue(): Promise<void> {
    return this.queueRound(false);
  }

  /** Rounds run one at a time; the timer's may be skipped while there is nothing to send. */
  private queueRound(mayIdle: boolean): Promise<void> {
    const run = this.running.then(() => this.round(mayIdle));
    this.running = run.catch(() => undefined);
    return run;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.queueRound(true)
        .catch((error: unknown) => this.logger.warn(`Notification round failed: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => this.schedule());
    }, TICK_MS);
  }

  private async round(mayIdle: boolean): Promise<void> {
    const takenAt = Date.now();
    // What it knew of the queue goes stale while another replica sends it, or while the store cannot be reached.
    const held = await this.holdLease().catch((error: unknown) => {
      this.idle = undefined;
      throw error;
    });
    if (!held) {
      this.idle = undefined;
      return;
    }
    if (mayIdle && (await this.stillIdle())) return;
    this.idle = undefined;
    const changes = this.queueChanges;
    const { leaseTtlMs } = this.config.polling;
    // Renewed on a timer for as long as the round runs, a send slower than the lease included, so a standby takes
    // over only from a sender that stopped.
    const lease = new EcwidHeldLease('notification sender', () => this.holdLease(), takenAt, leaseTtlMs, () => this.stopped);
    // Ended after half a lease all the same: the next round forms what queued meanwhile and reads the flag again.
    const round: Round = { lease, endsAt: takenAt + leaseTtlMs / 2 };
    try {
      if (await this.isDisabled()) return;
      const pending = await this.state.listRecords(this.collections.pending);
      const queued: Queued[] = pending.map(({ value }) => ({ n: JSON.parse(value) as EcwidQueuedNotification }));
      const formed = await this.formNotifications(queued, round);
      if (!formed) return;
      const { sentNone, nextDueAt } = await this.deliverDue([...queued, ...formed], round);
      if (formed.length === 0 && sentNone && changes === this.queueChanges) {
        this.idle = { dueAt: nextDueAt, until: Date.now() + MAX_IDLE_MS, lastEntryId: round.lastEntryId };
      }
    } finally {
      lease.stop();
    }
  }

  /**
   * Whether this round can be skipped: the last one formed and sent nothing, no notification is due yet, and no
   * outbox entry arrived since. One read of at most one record, where a full round reads every pending notification:
   * with thousands waiting for a callback URL that is down, that was a core's worth of work every 250 ms.
   */
  private async stillIdle(): Promise<boolean> {
    const idle = this.idle;
    if (idle === undefined || Date.now() >= idle.until || this.config.clock() >= idle.dueAt) return false;
    const [newer] = await this.state.listRecords(this.collections.entries, { afterId: idle.lastEntryId, limit: 1 });
    return newer === undefined;
  }

  /**
   * Whether the round may take a step that writes or sends: not when the lease may have passed to another replica
   * (which sends the queue from now on), the app is stopping, or the round has run its time.
   */
  private mayContinue({ lease, endsAt }: Round): boolean {
    return lease.lostReason() === undefined && Date.now() < endsAt;
  }

  private holdLease(): Promise<boolean> {
    return this.state.acquireLease(this.leaseKey, this.holder, this.config.polling.leaseTtlMs);
  }

  /**
   * Groups entries into notifications: one source kind each, up to 20 webhook or 10 polled events. Entries of an
   * order that has a notification pending wait behind it; the ones of other orders are formed past them. Undefined
   * when the round must end: entries not formed stay in the outbox, for the next round or the replica that took the lease.
   */
  private async formNotifications(pending: Queued[], round: Round): Promise<Queued[] | undefined> {
    const blocked = new Set(pending.flatMap(({ n }) => n.orderKeys));
    const queued: Queued[] = [];
    let batch: Array<{ id: string; entry: EcwidOutboxEntry }> = [];
    let formed = 0;
    let ended = false;
    const flush = async () => {
      if (batch.length === 0 || ended) return;
      ended = !this.mayContinue(round);
      if (ended) return;
      const taken = batch;
      batch = [];
      const notification = this.notificationOf(taken);
      queued.push({ n: await this.savePending(notification), body: notification.body });
      // A replica that took the lease meanwhile sends the notification just queued, and its retirement drops the entries.
      ended = !this.mayContinue(round);
      if (ended) return;
      await this.state.deleteRecords(this.collections.entries, taken.map((t) => t.id));
      for (const t of taken) blocked.add(t.entry.orderKey);
    };
    let afterId: string | undefined;
    for (let read = 0; read < ENTRIES_READ_PER_TICK && formed < ENTRIES_FORMED_PER_TICK; read += ENTRIES_PER_PAGE) {
      const page = await this.state.listRecords(this.collections.entries, { afterId, limit: ENTRIES_PER_PAGE });
      for (const { id, value } of page) {
        if (ended) return undefined;
        round.lastEntryId = id;
        const entry = JSON.parse(value) as EcwidOutboxEntry;
        if (blocked.has(entry.orderKey)) continue;
        const polled = entry.source === 'polling';
        if (batch.length > 0 && (batch[0].entry.source === 'polling') !== polled) await flush();
        batch.push({ id, entry });
        formed += 1;
        if (batch.length >= (polled ? NOTIFY_BATCH_POLLING : NOTIFY_BATCH_WEBHOOK)) await flush();
      }
      if (page.length < ENTRIES_PER_PAGE) break;
      afterId = page[page.length - 1].id;
    }
    await flush();
    return ended ? undefined : queued;
  }

  private notificationOf(taken: Array<{ id: string; entry: EcwidOutboxEntry }>): EcwidStoredNotification {
    const id = randomUUID();
    const entries = taken.map((t) => t.entry);
    const body: EcwidNotificationBody = {
      message: {
        eventId: id,
        elementKey: this.config.instance.elementKey,
        instanceName: this.config.instance.name,
        instanceTags: this.config.instance.tags,
        storeId: this.config.storeId,
        events: entries.map((e) => e.event),
        raw: entries.map((e) => e.raw),
      },
    };
    const now = this.config.clock();
    return {
      id,
      sequence: '',
      orderKeys: [...new Set(entries.map((e) => e.orderKey))],
      entryIds: taken.map((t) => t.id),
      body: JSON.stringify(body),
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
    };
  }

  /**
   * Queues a notification, its body first: a pending notification always has its body until it is retired, which
   * drops the body before the notification. Written the other way round, a replica that stalled between the two
   * writes (past its lease) left a notification the next sender took for half-written and dropped, and then, coming
   * back, dropped its entries: the change was lost. A body left without a notification (forming stopped between the
   * writes) is never read; its entries, still queued, are formed again.
   */
  private async savePending(notification: EcwidStoredNotification): Promise<EcwidQueuedNotification> {
    const { body, ...queued } = notification;
    queued.sequence ||= sequenceId(await this.state.increment(this.collections.pending));
    await this.state.putRecords(this.collections.bodies, [{ id: queued.sequence, value: body }]);
    await this.state.putRecords(this.collections.pending, [{ id: queued.sequence, value: JSON.stringify(queued) }]);
    return queued;
  }

  /** The body of a pending notification, read only to send it; undefined when it was not written or already dropped. */
  private async bodyOf(n: EcwidQueuedNotification): Promise<string | undefined> {
    if (n.body !== undefined) return n.body;
    // The store reads ranges only: the first record after the preceding sequence is this one's, if it exists.
    const afterId = sequenceId(Number(n.sequence) - 1);
    const [record] = await this.state.listRecords(this.collections.bodies, { afterId, limit: 1 });
    return record?.id === n.sequence ? record.value : undefined;
  }

  /**
   * Drops a notification that left the queue, its entries first: a failed write after forming it may have left them
   * behind (its orders held them back meanwhile), and formed again they would reach the receiver under a new id.
   */
  private async retire(n: EcwidQueuedNotification): Promise<void> {
    await this.state.deleteRecords(this.collections.entries, n.entryIds ?? []);
    await this.state.deleteRecords(this.collections.bodies, [n.sequence]);
    await this.state.deleteRecords(this.collections.pending, [n.sequence]);
  }

  /**
   * Sends due notifications oldest first; one still waiting holds back later ones that share an order. `sentNone`
   * when the whole queue was gone through and nothing in it was due; `nextDueAt` is the earliest retry of those that
   * waited for their time, as it was read when each was passed over (held-back ones wait for those ahead of them).
   */
  private async deliverDue(queue: Queued[], round: Round): Promise<{ sentNone: boolean; nextDueAt: number }> {
    const held = new Set<string>();
    let sentNone = true;
    let nextDueAt = Infinity;
    for (const { n, body } of queue) {
      const blocked = n.orderKeys.some((k) => held.has(k));
      const early = !blocked && n.nextAttemptAt > this.config.clock();
      if (early) nextDueAt = Math.min(nextDueAt, n.nextAttemptAt);
      const waiting = blocked || early;
      if (!waiting && !this.mayContinue(round)) return { sentNone: false, nextDueAt };
      if (!waiting) sentNone = false;
      const outcome = waiting ? 'failed' : await this.deliver(n, body);
      if (outcome === 'disabled') return { sentNone: false, nextDueAt };
      if (outcome === 'failed') for (const k of n.orderKeys) held.add(k);
    }
    return { sentNone, nextDueAt };
  }

  /** Sends one notification; `disabled` when the callback URL answered 410 Gone. */
  private async deliver(n: EcwidQueuedNotification, formedBody?: string): Promise<'delivered' | 'failed' | 'disabled'> {
    const body = formedBody ?? (await this.bodyOf(n));
    if (body === undefined) {
      // Retired but for this record (see `retire`): its entries and body are gone already.
      await this.state.deleteRecords(this.collections.pending, [n.sequence]);
      return 'failed';
    }
    const callbackUrl = this.config.events.callbackUrl!;
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Elements-Webhook-Id': n.id };
    const key = this.config.events.signatureKey?.reveal();
    if (key) headers['Elements-Webhook-Signature'] = signEcwidNotification(body, key);
    let status: number | undefined;
    let error: string | undefined;
    let waitAtLeast = 0;
    try {
      const res = await requestWithin(
        this.http,
        { method: 'POST', url: callbackUrl, data: body, headers, transformRequest: [(data: string) => data] },
        this.config.notifications.timeoutMs,
        this.stopping.signal,
      );
      status = res.status;
      waitAtLeast = (retryAfterSeconds(res.headers['retry-after']) ?? 0) * 1000;
    } catch (e) {
      // Cut short by shutdown: no answer to count, and the notification stays as it was.
      if (this.stopping.signal.aborted) return 'failed';
      error = (e as { code?: string }).code ?? (e as Error).name;
    }
    if (status !== undefined && status >= 200 && status < 300) {
      await this.retire(n);
      return 'delivered';
    }
    if (status === 410) {
      await this.state.putRecords(this.collections.flags, [{ id: DISABLED_FLAG, value: String(Date.now()) }]);
      this.logger.warn(`Store ${this.config.storeId}: the callback URL answered 410 Gone; notifications are held until enable()`);
      await this.dispatcher.notify(EcwidNotificationProblem.DISABLED, new EcwidNotificationProblem(this.config.storeId, n.id, n.attempts, status));
      return 'disabled';
    }
    const attempts = n.attempts + 1;
    const firstFailedAt = n.firstFailedAt ?? this.config.clock();
    const failed = { ...n, attempts, firstFailedAt, lastStatus: status, lastError: error };
    if (attempts > this.config.notifications.maxRetries) {
      await this.state.putRecords(this.collections.parked, [{ id: n.sequence, value: JSON.stringify({ ...failed, body }) }]);
      await this.retire(n);
      this.logger.error(
        `Store ${this.config.storeId}: notification ${n.id} failed ${attempts} times (last: ${status ?? error}); parked for replay`,
      );
      await this.dispatcher.notify(EcwidNotificationProblem.FAILED, new EcwidNotificationProblem(this.config.storeId, n.id, attempts, status, error));
      return 'failed';
    }
    // Counted from the first failure, as Cloud Elements does: the 9th retry is 4^9 units after it (72.8 h of 1 s units).
    const due = firstFailedAt + this.config.notifications.retryUnitMs * 4 ** attempts;
    const nextAttemptAt = Math.max(due, this.config.clock() + waitAtLeast);
    await this.state.putRecords(this.collections.pending, [{ id: n.sequence, value: JSON.stringify({ ...failed, nextAttemptAt }) }]);
    return 'failed';
  }
}

import { Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EcwidConfigService } from '../config/ecwid-config.service';
import { EcwidOrderReadError } from '../events/ecwid-event.errors';
import { EcwidLogThrottle } from '../events/ecwid-loggable';
import { createEcwidEvent, EcwidEventFacts } from '../events/ecwid-event.factory';
import { EcwidEventPipeline, EcwidPipelineOutcome } from '../events/ecwid-event.pipeline';
import { EcwidOrderEvent } from '../events/ecwid-events';
import { fulfillmentStatusFromLegacy, paymentStatusFromLegacy } from '../legacy/ecwid-legacy-statuses';
import type { EcwidOrder } from '../orders/ecwid-order.model';
import { EcwidNotConfiguredError } from '../orders/ecwid-api.error';
import { EcwidOrdersService } from '../orders/ecwid-orders.service';
import { readOrderWithin } from '../orders/ecwid-order-read';
import { orderCreatedAt, orderUpdatedAt } from '../polling/ecwid-poll-classifier';
import type { EcwidIonNotification } from './ecwid-ion-notification';

/** `unconfirmed`: the store does not show the order, or not the change, so nothing is emitted. */
export type EcwidIonOutcome = EcwidPipelineOutcome | 'ignored' | 'unconfirmed';

/** Enough distinct foreign store ids to be useful in the log, few enough to bound memory. */
const MAX_FOREIGN_STORES_LOGGED = 1000;

/** Reading the order back failed: the ION can be neither confirmed nor dismissed, so Ecwid should send it again. */
export class EcwidIonReadError extends EcwidOrderReadError {
  override readonly name = 'EcwidIonReadError';

  constructor(
    readonly orderId: string,
    override readonly cause: unknown,
  ) {
    super(`Could not read order ${orderId} to confirm an ION: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * Reading orders back for IONs is held to this share of the token's requests per window: ION is unsigned, and posts
 * naming order after order would otherwise spend the whole budget the app's other calls (and polling) need.
 */
const ION_READ_SHARE = 0.5;
const ION_BUSY_LOG_INTERVAL_MS = 60_000;

/** The ION's order was not read: ION reads have used their share of the token's budget. Ecwid sends it again. */
export class EcwidIonBusyError extends EcwidOrderReadError {
  override readonly name = 'EcwidIonBusyError';

  constructor(readonly orderId: string) {
    super(`Not reading order ${orderId} for an ION: ION reads have used their share of the token's requests for now`);
  }
}

/** ION dates carry no zone; they are read as UTC. */
function ionSeconds(date: string): number {
  const [day, time] = date.split(' ');
  const [year, month, dayOfMonth] = day.split('-').map(Number);
  const [hours, minutes, seconds] = time.split(':').map(Number);
  return Date.UTC(year, month - 1, dayOfMonth, hours, minutes, seconds) / 1000;
}

/**
 * The ION source. ION is unsigned, so a notification is only a hint: the order is read back through the API
 * (v3 or legacy) and emitted as the store shows it, or not at all.
 */
@Injectable()
export class EcwidIonReceiver implements OnApplicationBootstrap {
  private readonly logger = new Logger('EcwidIon');
  private readonly foreignStores = new Set<number>();
  /** When the last reads allowed started, oldest first at `nextRead` (a ring, as the token's own limiter keeps). */
  private readonly readStarts: number[];
  private nextRead = 0;
  private readonly busyLog = new EcwidLogThrottle(ION_BUSY_LOG_INTERVAL_MS);

  constructor(
    private readonly configService: EcwidConfigService,
    private readonly orders: EcwidOrdersService,
    private readonly pipeline: EcwidEventPipeline,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    const { requestsPerMinute } = configService.config.http;
    this.readStarts = new Array<number>(Math.max(1, Math.floor(requestsPerMinute * ION_READ_SHARE))).fill(-Infinity);
  }

  onApplicationBootstrap(): void {
    const route = this.configService.ionRoute();
    if (route === undefined || !this.adapterHost?.httpAdapter) return;
    this.logger.log(`Store ${this.configService.storeId}: Instant Order Notifications are received at POST ${route}`);
  }

  async receive(notification: EcwidIonNotification): Promise<EcwidIonOutcome> {
    const storeId = this.configService.storeId;
    if (notification.storeId !== storeId) {
      this.noteForeignStore(notification.storeId);
      return 'ignored';
    }
    this.takeRead(notification);
    let order: EcwidOrder | null;
    try {
      // Held to hydrateTimeoutMs, as a webhook's read is: a 503 Ecwid still waits for beats an answer it gave up on.
      order = await readOrderWithin(this.orders, notification.orderId, this.configService.config.hydrateTimeoutMs);
    } catch (error) {
      // An id that cannot name an order here (`deleted`, or not a number on the legacy API): a retry changes nothing.
      if (error instanceof TypeError || error instanceof EcwidNotConfiguredError) {
        return this.unconfirmed(notification, 'its order_id cannot name an order through this API');
      }
      const failure = new EcwidIonReadError(notification.orderId, error);
      this.logger.warn(`Store ${storeId}: ${failure.message}; left for Ecwid to send again`);
      throw failure;
    }
    if (!order) return this.unconfirmed(notification, 'the store has no such order');
    if (this.unchanged(notification, order)) return this.unconfirmed(notification, 'the store shows no such change');
    const event = createEcwidEvent(this.facts(notification, order), 'ion', 'api') as EcwidOrderEvent;
    event.order = order;
    return this.pipeline.process(event);
  }

  /**
   * Counts a read against the ION share of the token's window, or throws EcwidIonBusyError (503) when it is used up.
   * The share is of what the token's limiter allows now, which another module sharing the token may have lowered
   * below this module's own `requestsPerMinute`: the ring keeps this module's share of starts, and the last `share`
   * of them count.
   */
  private takeRead(notification: EcwidIonNotification): void {
    const now = performance.now();
    const ring = this.readStarts.length;
    const share = Math.min(ring, Math.max(1, Math.floor(this.orders.requestsPerWindow() * ION_READ_SHARE)));
    if (now - this.readStarts[(this.nextRead - share + ring) % ring] < this.configService.config.http.rateLimitWindowMs) {
      const refused = this.busyLog.note(now);
      if (refused > 0) {
        this.logger.warn(
          `Store ${notification.storeId}: ${refused} ION${refused === 1 ? '' : 's'} answered 503 unread: ION reads may use ` +
            `${share} of the token's requests per window (a burst of orders, or posts that are not Ecwid's)`,
        );
      }
      throw new EcwidIonBusyError(notification.orderId);
    }
    this.readStarts[this.nextRead] = now;
    this.nextRead = (this.nextRead + 1) % ring;
  }

  private unconfirmed(notification: EcwidIonNotification, reason: string): 'unconfirmed' {
    const { storeId, eventType, orderId } = notification;
    this.logger.warn(`Store ${storeId}: ION ${eventType} for order ${orderId} not emitted: ${reason}`);
    return 'unconfirmed';
  }

  /** A status change whose old statuses are still the store's current ones did not happen, or was undone. */
  private unchanged(notification: EcwidIonNotification, order: EcwidOrder): boolean {
    const { eventType, oldPaymentStatus, oldFulfillmentStatus } = notification;
    return (
      eventType === 'order_status_change' &&
      oldPaymentStatus !== undefined &&
      oldFulfillmentStatus !== undefined &&
      paymentStatusFromLegacy(oldPaymentStatus) === order.paymentStatus &&
      fulfillmentStatusFromLegacy(oldFulfillmentStatus) === order.fulfillmentStatus
    );
  }

  /**
   * New statuses and the time come from the order read, old statuses from the form. The form is unsigned, so the id
   * holds nothing else of it: a creation is one event per order, a change one per order state and which statuses the
   * form says changed. So Ecwid's retries dedupe, and so do forged posts, whatever date, new or old statuses they
   * carry, but for the three kinds of change (payment, fulfillment, both) an order state can have. The kind stays in
   * the id because Ecwid sends IONs out of order: a payment ION arriving after a later fulfillment one reads the same
   * order state, and is still a change of its own.
   */
  private facts(notification: EcwidIonNotification, order: EcwidOrder): EcwidEventFacts {
    const created = notification.eventType === 'new_order';
    const data: Record<string, unknown> = {
      orderId: order.id,
      newPaymentStatus: order.paymentStatus,
      newFulfillmentStatus: order.fulfillmentStatus,
    };
    const common = { storeId: notification.storeId, entityId: order.internalId };
    if (created) {
      const eventCreated = orderCreatedAt(order) ?? ionSeconds(notification.date);
      return { ...common, eventId: `ion:${order.internalId}:${eventCreated}:created`, eventType: 'order.created', eventCreated, data };
    }
    const oldPayment = paymentStatusFromLegacy(notification.oldPaymentStatus);
    const oldFulfillment = fulfillmentStatusFromLegacy(notification.oldFulfillmentStatus);
    data.oldPaymentStatus = oldPayment;
    data.oldFulfillmentStatus = oldFulfillment;
    const updatedAt = orderUpdatedAt(order) || ionSeconds(notification.date);
    const kinds = [
      oldPayment !== undefined && oldPayment !== order.paymentStatus ? 'payment' : '',
      oldFulfillment !== undefined && oldFulfillment !== order.fulfillmentStatus ? 'fulfillment' : '',
    ];
    const kind = kinds.filter(Boolean).join('+') || 'none';
    const state = `${order.paymentStatus ?? ''}:${order.fulfillmentStatus ?? ''}`;
    return { ...common, eventId: `ion:${order.internalId}:${updatedAt}:${state}:${kind}`, eventType: 'order.updated', eventCreated: updatedAt, data };
  }

  private noteForeignStore(storeId: number): void {
    if (this.foreignStores.has(storeId) || this.foreignStores.size >= MAX_FOREIGN_STORES_LOGGED) return;
    this.foreignStores.add(storeId);
    this.logger.warn(`Ignoring IONs for store ${storeId}: this module serves store ${this.configService.storeId}`);
  }
}

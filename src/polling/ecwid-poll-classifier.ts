import type { EcwidEventFacts } from '../events/ecwid-event.factory';
import type { EcwidOrder } from '../orders/ecwid-order.model';
import type { EcwidOrderSnapshot } from '../state/ecwid-state-store.interface';

/** UNIX seconds of Ecwid's `"2024-05-01 05:26:28 +0000"`. */
export function parseEcwidDateSeconds(date: string | undefined): number | undefined {
  if (typeof date !== 'string') return undefined;
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\s*([+-]\d{2}):?(\d{2}))?$/.exec(date.trim());
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}T${match[2]}${match[3] ? `${match[3]}:${match[4]}` : 'Z'}`);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

function secondsOf(timestamp: number | undefined, date: string | undefined): number | undefined {
  return typeof timestamp === 'number' ? timestamp : parseEcwidDateSeconds(date);
}

export function orderCreatedAt(order: EcwidOrder): number | undefined {
  return secondsOf(order.createTimestamp, order.createDate);
}

export function orderUpdatedAt(order: EcwidOrder): number {
  return secondsOf(order.updateTimestamp, order.updateDate) ?? orderCreatedAt(order) ?? 0;
}

export function snapshotOf(order: EcwidOrder): EcwidOrderSnapshot {
  return {
    orderId: order.id,
    internalId: order.internalId,
    paymentStatus: order.paymentStatus,
    fulfillmentStatus: order.fulfillmentStatus,
    updateTimestamp: orderUpdatedAt(order),
  };
}

/**
 * The change a poll saw, as the facts of one event; null when the snapshot already reflects it.
 * Created vs updated follows Cloud Elements: created and updated within the tolerance, and never seen before, is a creation.
 * The id is deterministic (order, time, statuses), so overlapping windows and restarts never emit a change twice.
 */
export function classifyPolledOrder(
  storeId: number,
  order: EcwidOrder,
  snapshot: EcwidOrderSnapshot | undefined,
  createdToleranceSeconds: number,
): EcwidEventFacts | null {
  const updatedAt = orderUpdatedAt(order);
  const createdAt = orderCreatedAt(order) ?? updatedAt;
  const { paymentStatus, fulfillmentStatus } = order;
  if (snapshot) {
    const sameStatuses = snapshot.paymentStatus === paymentStatus && snapshot.fulfillmentStatus === fulfillmentStatus;
    if (snapshot.updateTimestamp > updatedAt || (snapshot.updateTimestamp === updatedAt && sameStatuses)) return null;
  }
  const created = !snapshot && Math.abs(updatedAt - createdAt) <= createdToleranceSeconds;
  const data: Record<string, unknown> = { orderId: order.id };
  if (snapshot?.paymentStatus !== undefined) data.oldPaymentStatus = snapshot.paymentStatus;
  if (paymentStatus !== undefined) data.newPaymentStatus = paymentStatus;
  if (snapshot?.fulfillmentStatus !== undefined) data.oldFulfillmentStatus = snapshot.fulfillmentStatus;
  if (fulfillmentStatus !== undefined) data.newFulfillmentStatus = fulfillmentStatus;
  return {
    eventId: `poll:${order.internalId}:${updatedAt}:${paymentStatus ?? ''}:${fulfillmentStatus ?? ''}`,
    eventType: created ? 'order.created' : 'order.updated',
    storeId,
    entityId: order.internalId,
    eventCreated: updatedAt,
    data,
  };
}

/** A deletion from `GET /orders/deleted`; the string id is known only if the order was seen before. */
export function classifyDeletedOrder(
  storeId: number,
  internalId: number,
  deletedAt: number,
  snapshot: EcwidOrderSnapshot | undefined,
): EcwidEventFacts {
  return {
    eventId: `poll:${internalId}:deleted`,
    eventType: 'order.deleted',
    storeId,
    entityId: internalId,
    eventCreated: deletedAt,
    data: snapshot ? { orderId: snapshot.orderId } : {},
  };
}

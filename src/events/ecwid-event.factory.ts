import {
  EcwidDataOrigin,
  EcwidEvent,
  EcwidEventSource,
  EcwidOrderEvent,
  EcwidOrderFulfillmentStatusChangedEvent,
  EcwidOrderPaidEvent,
  EcwidOrderPaymentStatusChangedEvent,
  EcwidUnfinishedOrderEvent,
} from './ecwid-events';
import { EcwidEvents } from './ecwid-event-names';

/** The normalized facts of one change, whatever source saw it. */
export interface EcwidEventFacts {
  eventId: string;
  eventType: string;
  storeId: number;
  entityId: number | string;
  /** UNIX seconds. */
  eventCreated: number;
  data?: Record<string, unknown>;
}

const NO_EVENTS: readonly EcwidEvent[] = Object.freeze([]);

/** One envelope for every source: the class follows the event type's group. */
export function createEcwidEvent(facts: EcwidEventFacts, source: EcwidEventSource, dataOrigin: EcwidDataOrigin): EcwidEvent {
  const init = {
    eventId: facts.eventId,
    eventType: facts.eventType,
    storeId: facts.storeId,
    entityId: facts.entityId,
    occurredAt: new Date(facts.eventCreated * 1000),
    source,
    data: facts.data ?? {},
    dataOrigin,
  };
  if (facts.eventType.startsWith('order.')) return new EcwidOrderEvent(init);
  if (facts.eventType.startsWith('unfinished_order.')) return new EcwidUnfinishedOrderEvent(init);
  return new EcwidEvent(init);
}

/**
 * The events implied by an order change's statuses, emitted after the change itself; `wanted` skips building the
 * ones nobody listens to, which matters on the webhook path.
 */
export function deriveEcwidEvents(
  event: EcwidEvent,
  wanted: (name: string) => boolean = () => true,
): readonly EcwidEvent[] {
  if (!(event instanceof EcwidOrderEvent) || event.eventType === 'order.deleted') return NO_EVENTS;
  const { oldPaymentStatus, newPaymentStatus, oldFulfillmentStatus, newFulfillmentStatus } = event;
  const updated = event.eventType === 'order.updated';
  // An update whose old status is unknown (a poller's first sight of an order) cannot tell what changed.
  const paymentChanged = updated && oldPaymentStatus !== undefined && newPaymentStatus !== undefined && oldPaymentStatus !== newPaymentStatus;
  const fulfillmentChanged =
    updated && oldFulfillmentStatus !== undefined && newFulfillmentStatus !== undefined && oldFulfillmentStatus !== newFulfillmentStatus;
  const paid = newPaymentStatus === 'PAID' && (!updated || paymentChanged) && wanted(EcwidEvents.ORDER_PAID);
  const payment = paymentChanged && wanted(EcwidEvents.ORDER_PAYMENT_STATUS_CHANGED);
  const fulfillment = fulfillmentChanged && wanted(EcwidEvents.ORDER_FULFILLMENT_STATUS_CHANGED);
  // Most deliveries derive nothing anyone listens to; they allocate nothing here.
  if (!paid && !payment && !fulfillment) return NO_EVENTS;
  const init = {
    eventId: event.eventId,
    eventType: event.eventType,
    storeId: event.storeId,
    entityId: event.entityId,
    occurredAt: event.occurredAt,
    source: event.source,
    data: event.data,
    dataOrigin: event.dataOrigin,
    order: event.order,
  };
  const derived: EcwidEvent[] = [];
  if (paid) derived.push(new EcwidOrderPaidEvent({ ...init, name: EcwidEvents.ORDER_PAID }));
  if (payment) {
    derived.push(new EcwidOrderPaymentStatusChangedEvent({ ...init, name: EcwidEvents.ORDER_PAYMENT_STATUS_CHANGED }));
  }
  if (fulfillment) {
    derived.push(
      new EcwidOrderFulfillmentStatusChangedEvent({ ...init, name: EcwidEvents.ORDER_FULFILLMENT_STATUS_CHANGED }),
    );
  }
  return derived;
}

import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { loggable } from '../events/ecwid-loggable';
import { EcwidEvent, EcwidOrder, EcwidOrderEvent } from '../index';

/** `payment=PAID`, or `payment=AWAITING_PAYMENT->PAID` when the notification says what it was before. */
function statusField(label: string, from: string | undefined, to: string | undefined): string {
  if (to === undefined) return '';
  return from !== undefined && from !== to ? ` ${label}=${loggable(from)}->${loggable(to)}` : ` ${label}=${loggable(to)}`;
}

/** The order as the API returned it when the event was handled, which can be later than the change itself. */
function currentField(order: EcwidOrder | null | undefined): string {
  if (order === undefined) return '';
  if (order === null) return ' now=not-found';
  return ` now=${order.paymentStatus}/${order.fulfillmentStatus}`;
}

/**
 * The bridge's own consumer: one log line per domain event, under the name it was emitted with. Statuses come from
 * the notification, as the derived events do; with hydration, `now=` adds the order's state when it was read. An
 * order created unpaid and paid a moment later reads `payment=AWAITING_PAYMENT ... now=PAID/...` on its created
 * line, rather than a PAID that the missing `ecwid.order.paid` would seem to contradict.
 */
@Injectable()
export class BridgeEventLogger {
  private readonly logger = new Logger('EcwidBridge');

  @OnEvent('ecwid.**')
  log(event: EcwidEvent): void {
    this.logger.log(describeEcwidEvent(event));
  }
}

export function describeEcwidEvent(event: EcwidEvent): string {
  const subject =
    event instanceof EcwidOrderEvent
      ? ` order=${loggable(event.orderId)}` +
        statusField('payment', event.oldPaymentStatus, event.newPaymentStatus) +
        statusField('fulfillment', event.oldFulfillmentStatus, event.newFulfillmentStatus) +
        currentField(event.order)
      : ` entity=${event.entityId}`;
  return `${event.name} store=${event.storeId}${subject} eventId=${event.eventId} source=${event.source}`;
}

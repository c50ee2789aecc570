import { describeEcwidEvent } from '../src/bridge/bridge-event.logger';
import { createEcwidEvent, deriveEcwidEvents } from '../src/events/ecwid-event.factory';
import { EcwidOrderEvent } from '../src/events/ecwid-events';
import type { EcwidOrder } from '../src/orders/ecwid-order.model';

const facts = (eventType: string, data: Record<string, unknown>) => ({
  eventId: 'e-1',
  eventType,
  storeId: 1003,
  entityId: 450012387,
  eventCreated: 1_700_000_000,
  data: { orderId: 'K8XTQ', ...data },
});
const orderNow = { id: 'K8XTQ', paymentStatus: 'PAID', fulfillmentStatus: 'SHIPPED' } as EcwidOrder;

describe("the bridge's event log line", () => {
  it("gives an order's statuses from the notification and its hydrated state apart", () => {
    const created = createEcwidEvent(
      facts('order.created', { newPaymentStatus: 'AWAITING_PAYMENT', newFulfillmentStatus: 'AWAITING_PROCESSING' }),
      'webhook',
      'notification',
    ) as EcwidOrderEvent;
    created.order = orderNow;
    expect(describeEcwidEvent(created)).toBe(
      'ecwid.order.created store=1003 order=K8XTQ payment=AWAITING_PAYMENT fulfillment=AWAITING_PROCESSING ' +
        'now=PAID/SHIPPED eventId=e-1 source=webhook',
    );
  });

  it('shows a change as from->to, on the update and on the events derived from it', () => {
    const updated = createEcwidEvent(
      facts('order.updated', {
        oldPaymentStatus: 'AWAITING_PAYMENT',
        newPaymentStatus: 'PAID',
        oldFulfillmentStatus: 'PROCESSING',
        newFulfillmentStatus: 'PROCESSING',
      }),
      'polling',
      'notification',
    );
    const lines = [updated, ...deriveEcwidEvents(updated)].map(describeEcwidEvent);
    expect(lines).toEqual([
      'ecwid.order.updated store=1003 order=K8XTQ payment=AWAITING_PAYMENT->PAID fulfillment=PROCESSING eventId=e-1 source=polling',
      'ecwid.order.paid store=1003 order=K8XTQ payment=AWAITING_PAYMENT->PAID fulfillment=PROCESSING eventId=e-1 source=polling',
      'ecwid.order.payment_status_changed store=1003 order=K8XTQ payment=AWAITING_PAYMENT->PAID fulfillment=PROCESSING ' +
        'eventId=e-1 source=polling',
    ]);
  });

  it('says when the hydrating read found no order, and leaves out what the notification did not carry', () => {
    const deleted = createEcwidEvent(facts('order.updated', {}), 'webhook', 'notification') as EcwidOrderEvent;
    deleted.order = null;
    expect(describeEcwidEvent(deleted)).toBe('ecwid.order.updated store=1003 order=K8XTQ now=not-found eventId=e-1 source=webhook');
  });

  it('names the entity of an event that is not about an order', () => {
    const product = createEcwidEvent({ ...facts('product.updated', {}), entityId: 77 }, 'webhook', 'notification');
    expect(describeEcwidEvent(product)).toBe('ecwid.product.updated store=1003 entity=77 eventId=e-1 source=webhook');
  });
});

describe("the bridge's event log line, given what the signature does not cover", () => {
  it('quotes a status or order id that is not a plain word, so it cannot forge a log line', () => {
    const forged = createEcwidEvent(
      facts('order.updated', { orderId: 'K8X\nfake', oldPaymentStatus: 'PAID', newPaymentStatus: 'PAID\n[Nest] LOG forged' }),
      'webhook',
      'notification',
    );
    const line = describeEcwidEvent(forged);
    expect(line).not.toContain('\n');
    expect(line).toBe(
      'ecwid.order.updated store=1003 order="K8X\\nfake" payment=PAID->"PAID\\n[Nest] LOG forged" eventId=e-1 source=webhook',
    );
  });
});

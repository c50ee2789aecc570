import type { EcwidFulfillmentStatus, EcwidOrder, EcwidPaymentStatus } from '../orders/ecwid-order.model';
import { ecwidEventName, EcwidEventType } from './ecwid-event-names';

/** Where an event came from. */
export type EcwidEventSource = 'webhook' | 'polling' | 'ion';

/**
 * Whether `data` was read from the store (`api`) or taken from the notification (`notification`).
 * Ecwid's webhook signature covers only the event id and time, not the body, so notification data is a hint.
 */
export type EcwidDataOrigin = 'notification' | 'api';

export interface EcwidEventInit<TData extends object> {
  eventId: string;
  eventType: EcwidEventType;
  storeId: number;
  entityId: number | string;
  occurredAt: Date;
  source: EcwidEventSource;
  data: TData;
  dataOrigin: EcwidDataOrigin;
  /** Emitter name; defaults to `ecwid.<eventType>`. */
  name?: string;
}

/** The envelope every Ecwid event shares. Handlers should be idempotent, keyed by `eventId` and `name`. */
export class EcwidEvent<TData extends object = Record<string, unknown>> {
  /** The name it is emitted under, e.g. `ecwid.order.created`: handy in wildcard listeners. */
  readonly name: string;
  readonly eventId: string;
  readonly eventType: EcwidEventType;
  readonly storeId: number;
  readonly entityId: number | string;
  readonly occurredAt: Date;
  readonly source: EcwidEventSource;
  readonly data: TData;
  readonly dataOrigin: EcwidDataOrigin;

  constructor(init: EcwidEventInit<TData>) {
    this.name = init.name ?? ecwidEventName(init.eventType);
    this.eventId = init.eventId;
    this.eventType = init.eventType;
    this.storeId = init.storeId;
    this.entityId = init.entityId;
    this.occurredAt = init.occurredAt;
    this.source = init.source;
    this.data = init.data;
    this.dataOrigin = init.dataOrigin;
  }
}

export interface EcwidOrderEventData {
  orderId?: string;
  oldPaymentStatus?: EcwidPaymentStatus;
  newPaymentStatus?: EcwidPaymentStatus;
  oldFulfillmentStatus?: EcwidFulfillmentStatus;
  newFulfillmentStatus?: EcwidFulfillmentStatus;
  [field: string]: unknown;
}

/** `ecwid.order.created | updated | deleted` and the events derived from them. */
export class EcwidOrderEvent extends EcwidEvent<EcwidOrderEventData> {
  /** String order id (`K8XTQ`), from `data.orderId`. */
  readonly orderId: string;
  /** Numeric order id, from `entityId`. */
  readonly internalId: number;
  /** With `hydrate: true`: the order as the API returned it when the event was handled; `null` if it no longer exists. */
  order?: EcwidOrder | null;

  constructor(init: EcwidEventInit<EcwidOrderEventData> & { order?: EcwidOrder | null }) {
    super(init);
    this.orderId = typeof init.data.orderId === 'string' ? init.data.orderId : String(init.entityId);
    this.internalId = Number(init.entityId);
    if (init.order !== undefined) this.order = init.order;
  }

  get oldPaymentStatus(): EcwidPaymentStatus | undefined {
    return this.data.oldPaymentStatus;
  }

  get newPaymentStatus(): EcwidPaymentStatus | undefined {
    return this.data.newPaymentStatus;
  }

  get oldFulfillmentStatus(): EcwidFulfillmentStatus | undefined {
    return this.data.oldFulfillmentStatus;
  }

  get newFulfillmentStatus(): EcwidFulfillmentStatus | undefined {
    return this.data.newFulfillmentStatus;
  }
}

/** `ecwid.order.paid`: the payment status became PAID (an order created as paid included). */
export class EcwidOrderPaidEvent extends EcwidOrderEvent {}

/** `ecwid.order.payment_status_changed` */
export class EcwidOrderPaymentStatusChangedEvent extends EcwidOrderEvent {
  get from(): EcwidPaymentStatus | undefined {
    return this.data.oldPaymentStatus;
  }

  get to(): EcwidPaymentStatus | undefined {
    return this.data.newPaymentStatus;
  }
}

/** `ecwid.order.fulfillment_status_changed` */
export class EcwidOrderFulfillmentStatusChangedEvent extends EcwidOrderEvent {
  get from(): EcwidFulfillmentStatus | undefined {
    return this.data.oldFulfillmentStatus;
  }

  get to(): EcwidFulfillmentStatus | undefined {
    return this.data.newFulfillmentStatus;
  }
}

export interface EcwidUnfinishedOrderEventData {
  orderId?: string;
  cartId?: string;
  [field: string]: unknown;
}

/** `ecwid.unfinished_order.*` */
export class EcwidUnfinishedOrderEvent extends EcwidEvent<EcwidUnfinishedOrderEventData> {
  get orderId(): string | undefined {
    return this.data.orderId;
  }

  get cartId(): string | undefined {
    return this.data.cartId;
  }
}

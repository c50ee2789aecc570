import { ECWID_EVENT_PREFIX } from '../ecwid.constants';

/** Ecwid's event types as documented; newer groups (reviews, coupons, ...) arrive as other strings and are emitted too. */
export type EcwidKnownEventType =
  | 'order.created'
  | 'order.updated'
  | 'order.deleted'
  | 'unfinished_order.created'
  | 'unfinished_order.updated'
  | 'unfinished_order.deleted'
  | 'product.created'
  | 'product.updated'
  | 'product.deleted'
  | 'category.created'
  | 'category.updated'
  | 'category.deleted'
  | 'customer.created'
  | 'customer.updated'
  | 'customer.deleted'
  | 'application.installed'
  | 'application.uninstalled'
  | 'application.subscriptionStatusChanged'
  | 'profile.updated'
  | 'profile.subscriptionStatusChanged';

/** Emitted in addition to `order.*`, derived from the old and new statuses. */
export type EcwidDerivedEventType = 'order.paid' | 'order.payment_status_changed' | 'order.fulfillment_status_changed';

// eslint-disable-next-line @typescript-eslint/ban-types -- keeps autocompletion of the known names
export type EcwidEventType = EcwidKnownEventType | EcwidDerivedEventType | (string & {});

/** Names already built, so a hot path hands the emitter the same string each time; bounded against odd types. */
const namesByType = new Map<string, string>();
const MAX_CACHED_NAMES = 256;

/** The emitter name of an Ecwid event type: `order.created` -> `ecwid.order.created`. */
export function ecwidEventName(eventType: EcwidEventType): string {
  const cached = namesByType.get(eventType);
  if (cached !== undefined) return cached;
  // Concatenation gives a rope that every emitter lookup would flatten and hash again; one flat copy is kept.
  const name = `${ECWID_EVENT_PREFIX}.${eventType}`;
  if (namesByType.size < MAX_CACHED_NAMES) namesByType.set(eventType, name);
  return name;
}

export const EcwidEvents = {
  ORDER_CREATED: 'ecwid.order.created',
  ORDER_UPDATED: 'ecwid.order.updated',
  ORDER_DELETED: 'ecwid.order.deleted',
  ORDER_PAID: 'ecwid.order.paid',
  ORDER_PAYMENT_STATUS_CHANGED: 'ecwid.order.payment_status_changed',
  ORDER_FULFILLMENT_STATUS_CHANGED: 'ecwid.order.fulfillment_status_changed',
  UNFINISHED_ORDER_CREATED: 'ecwid.unfinished_order.created',
  UNFINISHED_ORDER_UPDATED: 'ecwid.unfinished_order.updated',
  UNFINISHED_ORDER_DELETED: 'ecwid.unfinished_order.deleted',
  PRODUCT_CREATED: 'ecwid.product.created',
  PRODUCT_UPDATED: 'ecwid.product.updated',
  PRODUCT_DELETED: 'ecwid.product.deleted',
  CATEGORY_CREATED: 'ecwid.category.created',
  CATEGORY_UPDATED: 'ecwid.category.updated',
  CATEGORY_DELETED: 'ecwid.category.deleted',
  CUSTOMER_CREATED: 'ecwid.customer.created',
  CUSTOMER_UPDATED: 'ecwid.customer.updated',
  CUSTOMER_DELETED: 'ecwid.customer.deleted',
  APPLICATION_INSTALLED: 'ecwid.application.installed',
  APPLICATION_UNINSTALLED: 'ecwid.application.uninstalled',
  APPLICATION_SUBSCRIPTION_STATUS_CHANGED: 'ecwid.application.subscriptionStatusChanged',
  PROFILE_UPDATED: 'ecwid.profile.updated',
  PROFILE_SUBSCRIPTION_STATUS_CHANGED: 'ecwid.profile.subscriptionStatusChanged',
} as const;

export type EcwidEventName = (typeof EcwidEvents)[keyof typeof EcwidEvents];

export type EcwidIonEventType = 'new_order' | 'order_status_change';

/** An Instant Order Notification as Ecwid posts it, checked; statuses keep the codes Ecwid sent (legacy ones). */
export interface EcwidIonNotification {
  /** `owner_id`: the store the order belongs to. */
  storeId: number;
  /** `event_type` */
  eventType: EcwidIonEventType;
  /** `date`, `YYYY-MM-DD hh:mm:ss` as sent: when the order was placed or its status changed. */
  date: string;
  /** `order_id`: the order number, without the store's prefix and suffix. */
  orderId: string;
  /** `payment_status`, e.g. `ACCEPTED` */
  paymentStatus: string;
  /** `fulfillment_status`, e.g. `NEW` */
  fulfillmentStatus: string;
  /** `old_payment_status`, sent with status changes. */
  oldPaymentStatus?: string;
  /** `old_fulfillment_status`, sent with status changes. */
  oldFulfillmentStatus?: string;
}

const EVENT_TYPE = /^(new_order|order_status_change)$/;
const DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
/** Ids and codes become part of the event id: short and plain, so a forged form cannot bloat the dedup store. */
const ORDER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const STATUS = /^[A-Za-z0-9_]{1,64}$/;

/** The pattern, and a real moment: `Date.UTC` would roll 2020-02-30 or 99:99:99 over into another one. */
function isIonDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const [year, month, day, hours, minutes, seconds] = value.split(/[- :]/).map(Number);
  const at = new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds));
  return at.getUTCMonth() === month - 1 && at.getUTCDate() === day && at.getUTCHours() === hours && at.getUTCMinutes() === minutes && at.getUTCSeconds() === seconds;
}

export class EcwidIonNotificationError extends Error {
  override readonly name = 'EcwidIonNotificationError';

  constructor(readonly problems: string[]) {
    super(`Invalid Ecwid ION: ${problems.join('; ')}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Form fields arrive as strings, JSON ones may be numbers; a repeated field (an array) is not accepted. */
function text(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' ? value.trim() : undefined;
}

/** Checks an ION form (or its JSON twin); throws one error listing every problem. */
export function parseEcwidIonNotification(body: unknown): EcwidIonNotification {
  if (!isRecord(body)) throw new EcwidIonNotificationError(['the body must be a form or a JSON object']);
  const problems: string[] = [];
  const field = (name: string, pattern: { test(value: string): boolean }, message: string): string => {
    const value = text(body[name]);
    if (value === undefined || !pattern.test(value)) problems.push(`${name} ${message}`);
    return value ?? '';
  };
  const optional = (name: string): string | undefined => {
    const value = text(body[name]);
    if (value === undefined || value === '') return undefined;
    if (!STATUS.test(value)) problems.push(`${name} must be a status code`);
    return value.toUpperCase();
  };
  const owner = field('owner_id', /^[1-9]\d{0,15}$/, 'must be a positive integer');
  const eventType = field('event_type', EVENT_TYPE, 'must be new_order or order_status_change');
  const notification: EcwidIonNotification = {
    storeId: Number(owner),
    eventType: eventType as EcwidIonEventType,
    date: field('date', { test: isIonDate }, 'must be YYYY-MM-DD hh:mm:ss'),
    orderId: field('order_id', ORDER_ID, 'must be an order id'),
    paymentStatus: field('payment_status', STATUS, 'must be a status code').toUpperCase(),
    fulfillmentStatus: field('fulfillment_status', STATUS, 'must be a status code').toUpperCase(),
    oldPaymentStatus: optional('old_payment_status'),
    oldFulfillmentStatus: optional('old_fulfillment_status'),
  };
  if (problems.length > 0) throw new EcwidIonNotificationError(problems);
  return notification;
}

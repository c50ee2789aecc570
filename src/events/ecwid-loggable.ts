/** Ids and statuses as Ecwid writes them: `K8XTQ`, `AWAITING_PAYMENT`, `order.updated`. */
const PLAIN_WORD = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * A value a notification chose, for a log line or an error message. Only `eventCreated` and `eventId` are signed, so
 * `data.orderId` or a status can hold anything: a plain word is shown as it is, anything else quoted and escaped,
 * so it cannot start a log line of its own.
 */
export function loggable(value: unknown): string {
  return typeof value === 'string' && PLAIN_WORD.test(value) ? value : JSON.stringify(String(value));
}

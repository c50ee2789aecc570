import {
  ECWID_FULFILLMENT_STATUSES,
  ECWID_PAYMENT_STATUSES,
  type EcwidFulfillmentStatus,
  type EcwidPaymentStatus,
} from '../orders/ecwid-order.model';

/** Each legacy payment code and the v3 status it becomes. */
export const ECWID_LEGACY_PAYMENT_STATUSES: Readonly<Record<string, EcwidPaymentStatus>> = {
  // The payment went through.
  ACCEPTED: 'PAID',
  // Waiting for the customer's payment; v3 rejects QUEUED and calls it AWAITING_PAYMENT.
  QUEUED: 'AWAITING_PAYMENT',
  // Authorized and not yet captured: no money has moved, so it is still awaited.
  CHARGEABLE: 'AWAITING_PAYMENT',
  // The payment system refused it; v3 has no "declined", and such an order will not be paid.
  DECLINED: 'CANCELLED',
  CANCELLED: 'CANCELLED',
  REFUNDED: 'REFUNDED',
};

/** Each legacy fulfillment code whose v3 name differs; the others are spelled alike. */
export const ECWID_LEGACY_FULFILLMENT_STATUSES: Readonly<Record<string, EcwidFulfillmentStatus>> = {
  // A new order not yet worked on.
  NEW: 'AWAITING_PROCESSING',
};

/** The code a status update sends; v3 statuses not listed are sent by their own name. */
const LEGACY_CODE_FOR: Readonly<Record<string, string>> = {
  PAID: 'ACCEPTED',
  AWAITING_PAYMENT: 'QUEUED',
  AWAITING_PROCESSING: 'NEW',
};

const PAYMENT: ReadonlySet<string> = new Set(ECWID_PAYMENT_STATUSES);
const FULFILLMENT: ReadonlySet<string> = new Set(ECWID_FULFILLMENT_STATUSES);

/** A legacy or v3 payment status as its v3 name; undefined for a code neither API documents. */
export function paymentStatusFromLegacy(code: string | undefined): EcwidPaymentStatus | undefined {
  if (code === undefined) return undefined;
  return ECWID_LEGACY_PAYMENT_STATUSES[code] ?? (PAYMENT.has(code) ? (code as EcwidPaymentStatus) : undefined);
}

/** A legacy or v3 fulfillment status as its v3 name; undefined for a code neither API documents. */
export function fulfillmentStatusFromLegacy(code: string | undefined): EcwidFulfillmentStatus | undefined {
  if (code === undefined) return undefined;
  return ECWID_LEGACY_FULFILLMENT_STATUSES[code] ?? (FULFILLMENT.has(code) ? (code as EcwidFulfillmentStatus) : undefined);
}

/** The code to send when setting a v3 status through the legacy API. */
export function legacyStatusCode(status: string): string {
  return LEGACY_CODE_FOR[status] ?? status;
}

/** Every legacy code that means the v3 status, so a filter on it misses none of them. */
export function legacyStatusCodes(status: string): string[] {
  const table = { ...ECWID_LEGACY_PAYMENT_STATUSES, ...ECWID_LEGACY_FULFILLMENT_STATUSES };
  const codes = Object.keys(table).filter((code) => table[code] === status);
  return codes.length > 0 ? codes : [status];
}

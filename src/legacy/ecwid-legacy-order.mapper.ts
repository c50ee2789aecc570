import type { EcwidOrder } from '../orders/ecwid-order.model';
import type { EcwidLegacyOrder } from './ecwid-legacy-order.model';
import { fulfillmentStatusFromLegacy, paymentStatusFromLegacy } from './ecwid-legacy-statuses';

const DATE_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})\s*([+-])(\d{2}):?(\d{2})$/;

/** UNIX seconds of a legacy date; a date without a UTC offset gives none, as guessing its zone could be hours off. */
export function legacyTimestamp(date: string | undefined): number | undefined {
  const parts = date === undefined ? null : DATE_WITH_OFFSET.exec(date.trim());
  if (!parts) return undefined;
  const [, year, month, day, hours, minutes, seconds, sign, offsetHours, offsetMinutes] = parts;
  const local = Date.UTC(+year, +month - 1, +day, +hours, +minutes, +seconds) / 1000;
  const offset = (+offsetHours * 60 + +offsetMinutes) * 60;
  return sign === '-' ? local + offset : local - offset;
}

/**
 * A legacy order in the v3 shape. `id` is the order number as a string: the legacy API finds orders only by
 * number, and ION names them by it, so an id read here can be given back to `get` and `update`.
 */
export function fromLegacyOrder(legacy: EcwidLegacyOrder): EcwidOrder {
  const {
    number,
    vendorNumber,
    paymentStatus,
    fulfillmentStatus,
    shippingTrackingCode,
    created,
    lastChangeDate,
    customerEmail,
    totalCost,
    subtotalCost,
    taxCost,
    ...unrenamed
  } = legacy;
  const mapped: EcwidOrder = {
    ...unrenamed,
    id: String(number),
    internalId: number,
    orderNumber: number,
    vendorOrderNumber: vendorNumber,
    email: customerEmail,
    total: totalCost,
    subtotal: subtotalCost,
    tax: taxCost,
    paymentStatus: paymentStatusFromLegacy(paymentStatus),
    fulfillmentStatus: fulfillmentStatusFromLegacy(fulfillmentStatus),
    trackingNumber: shippingTrackingCode,
    createDate: created,
    updateDate: lastChangeDate,
    createTimestamp: legacyTimestamp(created),
    updateTimestamp: legacyTimestamp(lastChangeDate),
  };
  for (const field of Object.keys(mapped)) {
    if (mapped[field] === undefined) delete mapped[field];
  }
  return mapped;
}

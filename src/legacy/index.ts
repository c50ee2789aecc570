export type { EcwidLegacyOrder, EcwidLegacyOrdersResponse } from './ecwid-legacy-order.model';
export {
  ECWID_LEGACY_FULFILLMENT_STATUSES,
  ECWID_LEGACY_PAYMENT_STATUSES,
  fulfillmentStatusFromLegacy,
  paymentStatusFromLegacy,
} from './ecwid-legacy-statuses';
export { fromLegacyOrder } from './ecwid-legacy-order.mapper';
export { ECWID_LEGACY_MAX_PAGE_SIZE } from './ecwid-legacy-query';

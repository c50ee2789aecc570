/** Ecwid REST API v3 order shapes, as documented; unknown fields pass through untouched. */

export const ECWID_PAYMENT_STATUSES = [
  'AWAITING_PAYMENT',
  'PAID',
  'CANCELLED',
  'REFUNDED',
  'PARTIALLY_REFUNDED',
  'INCOMPLETE',
  'CUSTOM_PAYMENT_STATUS_1',
  'CUSTOM_PAYMENT_STATUS_2',
  'CUSTOM_PAYMENT_STATUS_3',
] as const;
export type EcwidPaymentStatus = (typeof ECWID_PAYMENT_STATUSES)[number];

export const ECWID_FULFILLMENT_STATUSES = [
  'AWAITING_PROCESSING',
  'PROCESSING',
  'SHIPPED',
  'DELIVERED',
  'WILL_NOT_DELIVER',
  'RETURNED',
  'READY_FOR_PICKUP',
  'OUT_FOR_DELIVERY',
  'CUSTOM_FULFILLMENT_STATUS_1',
  'CUSTOM_FULFILLMENT_STATUS_2',
  'CUSTOM_FULFILLMENT_STATUS_3',
] as const;
export type EcwidFulfillmentStatus = (typeof ECWID_FULFILLMENT_STATUSES)[number];

export interface EcwidOrderItem {
  id?: number;
  productId?: number;
  sku?: string;
  name?: string;
  price?: number;
  quantity?: number;
  [field: string]: unknown;
}

export interface EcwidPerson {
  name?: string;
  companyName?: string;
  street?: string;
  city?: string;
  countryCode?: string;
  countryName?: string;
  postalCode?: string;
  stateOrProvinceCode?: string;
  phone?: string;
  [field: string]: unknown;
}

export interface EcwidRefund {
  date?: string;
  source?: string;
  reason?: string;
  amount?: number;
  [field: string]: unknown;
}

export interface EcwidOrder {
  /** String order id (e.g. `K8XTQ`, or `MYSTORE-X8UYE` with a store prefix); the key since Sep 2020. */
  id: string;
  /** Numeric id; webhooks carry it as `entityId`. */
  internalId: number;
  /** @deprecated by Ecwid, still returned. */
  orderNumber?: number;
  /** @deprecated by Ecwid, still returned. */
  vendorOrderNumber?: string;
  publicUid?: string;
  email?: string;
  customerId?: number;
  total?: number;
  subtotal?: number;
  tax?: number;
  paymentStatus?: EcwidPaymentStatus;
  fulfillmentStatus?: EcwidFulfillmentStatus;
  paymentMethod?: string;
  trackingNumber?: string;
  /** `"2024-05-01 05:26:28 +0000"` */
  createDate?: string;
  updateDate?: string;
  /** UNIX seconds. */
  createTimestamp?: number;
  updateTimestamp?: number;
  items?: EcwidOrderItem[];
  billingPerson?: EcwidPerson;
  shippingPerson?: EcwidPerson;
  orderComments?: string;
  privateAdminNotes?: string;
  refundedAmount?: number;
  refunds?: EcwidRefund[];
  [field: string]: unknown;
}

/** What `POST /orders` accepts: an order without the ids Ecwid assigns. */
export type EcwidOrderInput = Omit<Partial<EcwidOrder>, 'id' | 'internalId'>;

/** What `PUT /orders/{id}` accepts: omitted fields stay unchanged; `items`, if sent, must list all items. */
export type EcwidOrderPatch = Omit<Partial<EcwidOrder>, 'id' | 'internalId'>;

export interface EcwidPage<T> {
  total: number;
  count: number;
  offset: number;
  limit: number;
  items: T[];
}

export type EcwidOrdersPage = EcwidPage<EcwidOrder>;

export interface EcwidDeletedOrder {
  /** Ecwid documents the deleted-orders history with the numeric id. */
  id: number | string;
  date: string;
}

export interface EcwidCreateOrderResult {
  id: number;
  orderId: string;
}

export interface EcwidUpdateResult {
  updateCount: number;
}

export interface EcwidDeleteResult {
  deleteCount: number;
  /** Set when a retry found the order gone after an attempt whose answer was lost (see `EcwidOrdersService.delete`). */
  alreadyDeleted?: true;
}

/** A time filter: a `Date` (sent as UNIX seconds), UNIX seconds, or Ecwid's `yyyy-MM-dd HH:mm:ss`. */
export type EcwidTimeFilter = Date | number | string;

/** `GET /orders` filters, by Ecwid's own query names. Arrays become comma lists. */
export interface EcwidOrderSearchFilters {
  ids?: string | Array<string | number>;
  keywords?: string;
  email?: string;
  customerId?: number | string;
  productId?: number | string;
  totalFrom?: number;
  totalTo?: number;
  createdFrom?: EcwidTimeFilter;
  createdTo?: EcwidTimeFilter;
  updatedFrom?: EcwidTimeFilter;
  updatedTo?: EcwidTimeFilter;
  pickupTimeFrom?: EcwidTimeFilter;
  pickupTimeTo?: EcwidTimeFilter;
  paymentMethod?: string;
  paymentModule?: string;
  shippingMethod?: string;
  paymentStatus?: EcwidPaymentStatus | string | Array<EcwidPaymentStatus | string>;
  fulfillmentStatus?: EcwidFulfillmentStatus | string | Array<EcwidFulfillmentStatus | string>;
  acceptMarketing?: boolean;
  containsPreorderItems?: boolean;
  couponCode?: string;
  subscriptionId?: number | string;
  refererId?: string;
  responseFields?: string;
  offset?: number;
  /** At most 100 (Ecwid's maximum). */
  limit?: number;
}

export interface EcwidDeletedOrdersFilters {
  from?: EcwidTimeFilter;
  to?: EcwidTimeFilter;
  offset?: number;
  limit?: number;
}

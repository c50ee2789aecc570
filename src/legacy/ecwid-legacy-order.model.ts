import type { EcwidOrderItem, EcwidPerson } from '../orders/ecwid-order.model';

/** An order as Ecwid's legacy Order API (v1) answers it; fields this module does not rename pass through. */
export interface EcwidLegacyOrder {
  /** The order number: v3's deprecated `orderNumber`, equal to its `internalId`. */
  number: number;
  /** The number with the store's prefix and suffix, e.g. `2011-345-q4`. */
  vendorNumber?: string;
  /** `ACCEPTED`, `DECLINED`, `CANCELLED`, `QUEUED`, `CHARGEABLE`, `REFUNDED`, ... */
  paymentStatus?: string;
  /** `NEW`, `PROCESSING`, `SHIPPED`, `DELIVERED`, `WILL_NOT_DELIVER`, `RETURNED`, ... */
  fulfillmentStatus?: string;
  shippingTrackingCode?: string;
  /** `yyyy-MM-dd HH:mm:ss`, with a UTC offset when Ecwid gives one. */
  created?: string;
  lastChangeDate?: string;
  customerId?: number;
  customerEmail?: string;
  totalCost?: number;
  subtotalCost?: number;
  taxCost?: number;
  items?: EcwidOrderItem[];
  billingPerson?: EcwidPerson;
  shippingPerson?: EcwidPerson;
  [field: string]: unknown;
}

/** The legacy search envelope; `nextUrl` carries the key, so it is never logged. */
export interface EcwidLegacyOrdersResponse {
  count: number;
  total: number;
  nextUrl?: string | null;
  orders: EcwidLegacyOrder[];
}

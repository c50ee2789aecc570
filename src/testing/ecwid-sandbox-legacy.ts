import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  ECWID_FULFILLMENT_STATUSES,
  ECWID_PAYMENT_STATUSES,
  type EcwidFulfillmentStatus,
  type EcwidOrder,
  type EcwidPaymentStatus,
} from '../orders/ecwid-order.model';
import { formatEcwidDate, unixSeconds } from './ecwid-sandbox-dates';
import { EcwidSandboxError } from './ecwid-sandbox-errors';
import { filterKeyPart, type OrderFilter } from './ecwid-sandbox-filters';

export const LEGACY_API_PREFIX = '/api/v1/';
export const LEGACY_KEY_PARAMETER = 'secure_auth_key';
export const LEGACY_DEFAULT_LIMIT = 100;
export const LEGACY_MAX_LIMIT = 200;
/** Ecwid waits this long for an ION answer, as for webhooks. */
const ION_TIMEOUT_MS = 10_000;
const DAY_SECONDS = 86_400;

export type SandboxIonEventType = 'new_order' | 'order_status_change';

export interface SandboxIonStatuses {
  paymentStatus?: EcwidPaymentStatus;
  fulfillmentStatus?: EcwidFulfillmentStatus;
}

export interface SandboxIonRecord {
  url: string;
  /** The form fields as sent. */
  fields: Record<string, string>;
  /** The receiver's HTTP status; absent when the request failed before an answer. */
  status?: number;
  error?: string;
  /** Clock time (ms) when the post started. */
  at: number;
}

/** The legacy codes Ecwid shows for v3 statuses; statuses not listed keep their v3 name. */
const LEGACY_CODES: Readonly<Record<string, string>> = {
  PAID: 'ACCEPTED',
  AWAITING_PAYMENT: 'QUEUED',
  AWAITING_PROCESSING: 'NEW',
};

/** What the sandbox stores, in v3 terms, for each legacy code a request may send. */
const V3_PAYMENT_FOR: Readonly<Record<string, EcwidPaymentStatus>> = {
  ACCEPTED: 'PAID',
  QUEUED: 'AWAITING_PAYMENT',
  CHARGEABLE: 'AWAITING_PAYMENT',
  DECLINED: 'CANCELLED',
};
const V3_FULFILLMENT_FOR: Readonly<Record<string, EcwidFulfillmentStatus>> = { NEW: 'AWAITING_PROCESSING' };
const PAYMENT_STATUSES: ReadonlySet<string> = new Set(ECWID_PAYMENT_STATUSES);
const FULFILLMENT_STATUSES: ReadonlySet<string> = new Set(ECWID_FULFILLMENT_STATUSES);

/** The parameters that select orders, in a fixed order so equal filters share one cached scan. */
const FILTER_NAMES = [
  'date',
  'from_date',
  'to_date',
  'from_update_date',
  'to_update_date',
  'order',
  'from_order',
  'to_order',
  'customer_id',
  'customer_email',
  'statuses',
] as const;

type Predicate = (order: EcwidOrder) => boolean;

function wrongParameter(name: string, value: string): EcwidSandboxError {
  return new EcwidSandboxError(400, `Wrong value of the '${name}' parameter: '${value}'`);
}

function legacyCode(status: string | undefined): string | undefined {
  return status === undefined ? undefined : (LEGACY_CODES[status] ?? status);
}

function v3Payment(code: string): EcwidPaymentStatus | undefined {
  return V3_PAYMENT_FOR[code] ?? (PAYMENT_STATUSES.has(code) ? (code as EcwidPaymentStatus) : undefined);
}

function v3Fulfillment(code: string): EcwidFulfillmentStatus | undefined {
  return V3_FULFILLMENT_FOR[code] ?? (FULFILLMENT_STATUSES.has(code) ? (code as EcwidFulfillmentStatus) : undefined);
}

/** A stored order as the legacy API shows it: renamed fields, legacy status codes, the number as `number`. */
export function toLegacyOrder(order: EcwidOrder): Record<string, unknown> {
  const {
    id,
    internalId,
    orderNumber: _orderNumber,
    vendorOrderNumber: _vendorOrderNumber,
    email,
    total,
    subtotal,
    tax,
    paymentStatus,
    fulfillmentStatus,
    trackingNumber,
    createDate,
    updateDate,
    createTimestamp: _createTimestamp,
    updateTimestamp: _updateTimestamp,
    ...rest
  } = order;
  return {
    ...rest,
    number: internalId,
    vendorNumber: id,
    customerEmail: email,
    totalCost: total,
    subtotalCost: subtotal,
    taxCost: tax,
    paymentStatus: legacyCode(paymentStatus),
    fulfillmentStatus: legacyCode(fulfillmentStatus),
    shippingTrackingCode: trackingNumber,
    created: createDate,
    lastChangeDate: updateDate,
  };
}

/** UNIX seconds at the start of a `yyyy-MM-dd` day, UTC. */
function dayStart(name: string, value: string): number {
  const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const ms = parts ? Date.UTC(+parts[1], +parts[2] - 1, +parts[3]) : Number.NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) throw wrongParameter(name, value);
  return ms / 1000;
}

function orderNumber(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw wrongParameter(name, value);
  return Number(value);
}

/** Payment codes and fulfillment codes in one list: an order must match one of each group given. */
function statusesPredicate(value: string): Predicate {
  const payment = new Set<string>();
  const fulfillment = new Set<string>();
  for (const code of value.split(',').map((part) => part.trim().toUpperCase()).filter(Boolean)) {
    const paid = v3Payment(code);
    const done = v3Fulfillment(code);
    if (paid) payment.add(paid);
    else if (done) fulfillment.add(done);
    else throw wrongParameter('statuses', value);
  }
  return (order) =>
    (payment.size === 0 || payment.has(order.paymentStatus ?? '')) &&
    (fulfillment.size === 0 || fulfillment.has(order.fulfillmentStatus ?? ''));
}

/** One predicate per legacy filter; date bounds are whole days (UTC here), inclusive at both ends. */
function predicateFor(name: (typeof FILTER_NAMES)[number], value: string): Predicate {
  const created = (order: EcwidOrder): number => order.createTimestamp ?? 0;
  const updated = (order: EcwidOrder): number => order.updateTimestamp ?? 0;
  switch (name) {
    case 'date': {
      const from = dayStart(name, value);
      return (order) => created(order) >= from && created(order) < from + DAY_SECONDS;
    }
    case 'from_date': {
      const from = dayStart(name, value);
      return (order) => created(order) >= from;
    }
    case 'to_date': {
      const end = dayStart(name, value) + DAY_SECONDS;
      return (order) => created(order) < end;
    }
    case 'from_update_date': {
      const from = dayStart(name, value);
      return (order) => updated(order) >= from;
    }
    case 'to_update_date': {
      const end = dayStart(name, value) + DAY_SECONDS;
      return (order) => updated(order) < end;
    }
    case 'order': {
      const wanted = orderNumber(name, value);
      return (order) => order.internalId === wanted;
    }
    case 'from_order': {
      const from = orderNumber(name, value);
      return (order) => order.internalId >= from;
    }
    case 'to_order': {
      const to = orderNumber(name, value);
      return (order) => order.internalId <= to;
    }
    case 'customer_id':
      return (order) => order.customerId !== undefined && String(order.customerId) === value;
    case 'customer_email':
      return (order) => typeof order.email === 'string' && order.email.toLowerCase() === value.toLowerCase();
    case 'statuses':
      return statusesPredicate(value);
  }
}

/** Compiles the legacy order filters; the legacy API has no unfinished orders, so INCOMPLETE ones never match. */
export function compileLegacyOrderFilter(query: URLSearchParams): OrderFilter {
  const predicates: Predicate[] = [(order) => order.paymentStatus !== 'INCOMPLETE'];
  const keyParts = ['legacy'];
  for (const name of FILTER_NAMES) {
    const value = query.get(name)?.trim();
    if (!value) continue;
    predicates.push(predicateFor(name, value));
    keyParts.push(filterKeyPart(name, value));
  }
  return { key: keyParts.join('&'), matches: (order) => predicates.every((predicate) => predicate(order)) };
}

/** The change a legacy status-update POST asks for, in v3 terms; at least one `new_*` value is required. */
export function legacyStatusPatch(query: URLSearchParams): Partial<EcwidOrder> {
  const patch: Partial<EcwidOrder> = {};
  const payment = query.get('new_payment_status');
  const fulfillment = query.get('new_fulfillment_status');
  const tracking = query.get('new_shipping_tracking_code');
  if (payment !== null) patch.paymentStatus = v3Payment(payment.toUpperCase()) ?? throwWrong('new_payment_status', payment);
  if (fulfillment !== null) {
    patch.fulfillmentStatus = v3Fulfillment(fulfillment.toUpperCase()) ?? throwWrong('new_fulfillment_status', fulfillment);
  }
  if (tracking !== null) patch.trackingNumber = tracking;
  if (Object.keys(patch).length === 0) {
    throw new EcwidSandboxError(400, 'Nothing to update: give new_payment_status, new_fulfillment_status or new_shipping_tracking_code');
  }
  return patch;
}

function throwWrong(name: string, value: string): never {
  throw wrongParameter(name, value);
}

/** The form Ecwid posts for an order event; statuses in legacy codes, the order named by its number. */
export function ionFields(
  storeId: number,
  order: EcwidOrder,
  eventType: SandboxIonEventType,
  nowMs: number,
  old?: SandboxIonStatuses,
): URLSearchParams {
  const fields = new URLSearchParams({
    owner_id: String(storeId),
    event_type: eventType,
    date: formatEcwidDate(unixSeconds(nowMs)).slice(0, 19),
    order_id: String(order.internalId),
    payment_status: legacyCode(order.paymentStatus) ?? '',
    fulfillment_status: legacyCode(order.fulfillmentStatus) ?? '',
  });
  if (old) {
    fields.set('old_payment_status', legacyCode(old.paymentStatus) ?? '');
    fields.set('old_fulfillment_status', legacyCode(old.fulfillmentStatus) ?? '');
  }
  return fields;
}

/**
 * Form-POSTs one ION and resolves with the status. A fresh connection each time (no pooled socket keeps a test's
 * receiver from closing); the request sits in `inFlight` so the sandbox can abandon it on reset or stop.
 */
export function postIonForm(url: string, fields: URLSearchParams, inFlight: Set<ClientRequest>): Promise<number> {
  const target = new URL(url);
  const body = fields.toString();
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(target, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      timeout: ION_TIMEOUT_MS,
    });
    inFlight.add(request);
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => {
        inFlight.delete(request);
        resolve(response.statusCode ?? 0);
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${ION_TIMEOUT_MS} ms`)));
    request.on('error', (error) => {
      inFlight.delete(request);
      reject(error);
    });
    request.end(body);
  });
}

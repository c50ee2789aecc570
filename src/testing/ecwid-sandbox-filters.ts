import type { EcwidOrder, EcwidOrderItem } from '../orders/ecwid-order.model';
import { parseEcwidTime } from './ecwid-sandbox-dates';
import { EcwidSandboxError } from './ecwid-sandbox-errors';

type OrderPredicate = (order: EcwidOrder) => boolean;

/** A compiled `GET /orders` query: `key` names the filter so a page walk can reuse one scan. */
export interface OrderFilter {
  key: string;
  matches: OrderPredicate;
}

/** Ecwid's documented `GET /orders` filters that the sandbox applies (`responseFields` is applied to the answer). */
const FILTER_NAMES = [
  'ids',
  'keywords',
  'email',
  'customerId',
  'productId',
  'totalFrom',
  'totalTo',
  'createdFrom',
  'createdTo',
  'updatedFrom',
  'updatedTo',
  'pickupTimeFrom',
  'pickupTimeTo',
  'paymentMethod',
  'paymentModule',
  'shippingMethod',
  'paymentStatus',
  'fulfillmentStatus',
  'acceptMarketing',
  'containsPreorderItems',
  'couponCode',
  'subscriptionId',
  'refererId',
] as const;
type FilterName = (typeof FILTER_NAMES)[number];

function wrongParameter(name: string, value: string): EcwidSandboxError {
  return new EcwidSandboxError(400, `Wrong value of the '${name}' parameter: '${value}'`);
}

function commaList(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function nested(order: EcwidOrder, field: string, inner: string): unknown {
  const holder = order[field];
  return holder !== null && typeof holder === 'object' ? (holder as Record<string, unknown>)[inner] : undefined;
}

function sameText(actual: unknown, expected: string): boolean {
  return typeof actual === 'string' && actual.toLowerCase() === expected.toLowerCase();
}

function sameId(actual: unknown, expected: string): boolean {
  return actual !== undefined && actual !== null && String(actual) === expected;
}

function items(order: EcwidOrder): EcwidOrderItem[] {
  return Array.isArray(order.items) ? order.items : [];
}

function numberBound(name: string, value: string): number {
  const bound = Number(value);
  if (value.trim() === '' || !Number.isFinite(bound)) {
    throw wrongParameter(name, value);
  }
  return bound;
}

function timeBound(name: string, value: string): number {
  const bound = parseEcwidTime(value);
  if (bound === undefined) {
    throw wrongParameter(name, value);
  }
  return bound;
}

function flag(name: string, value: string): boolean {
  if (value !== 'true' && value !== 'false') {
    throw wrongParameter(name, value);
  }
  return value === 'true';
}

function pickupSeconds(order: EcwidOrder): number | undefined {
  return typeof order.pickupTime === 'string' ? parseEcwidTime(order.pickupTime) : undefined;
}

function keywordHaystack(order: EcwidOrder): string[] {
  const names = [order.id, order.email, nested(order, 'billingPerson', 'name'), nested(order, 'shippingPerson', 'name')];
  for (const item of items(order)) {
    names.push(item.name);
  }
  return names.filter((text): text is string => typeof text === 'string').map((text) => text.toLowerCase());
}

/** One predicate per filter name; bounds are inclusive on both ends. */
function predicateFor(name: FilterName, value: string): OrderPredicate {
  switch (name) {
    case 'ids': {
      const ids = new Set(commaList(value));
      return (order) => ids.has(order.id) || ids.has(String(order.internalId));
    }
    case 'keywords': {
      const needle = value.toLowerCase();
      return (order) => keywordHaystack(order).some((text) => text.includes(needle));
    }
    case 'email':
      return (order) => sameText(order.email, value);
    case 'customerId':
      return (order) => sameId(order.customerId, value);
    case 'productId':
      return (order) => items(order).some((item) => sameId(item.productId, value));
    case 'totalFrom': {
      const from = numberBound(name, value);
      return (order) => (order.total ?? 0) >= from;
    }
    case 'totalTo': {
      const to = numberBound(name, value);
      return (order) => (order.total ?? 0) <= to;
    }
    case 'createdFrom': {
      const from = timeBound(name, value);
      return (order) => (order.createTimestamp ?? 0) >= from;
    }
    case 'createdTo': {
      const to = timeBound(name, value);
      return (order) => (order.createTimestamp ?? 0) <= to;
    }
    case 'updatedFrom': {
      const from = timeBound(name, value);
      return (order) => (order.updateTimestamp ?? 0) >= from;
    }
    case 'updatedTo': {
      const to = timeBound(name, value);
      return (order) => (order.updateTimestamp ?? 0) <= to;
    }
    case 'pickupTimeFrom': {
      const from = timeBound(name, value);
      return (order) => (pickupSeconds(order) ?? Number.NEGATIVE_INFINITY) >= from;
    }
    case 'pickupTimeTo': {
      const to = timeBound(name, value);
      return (order) => (pickupSeconds(order) ?? Number.POSITIVE_INFINITY) <= to;
    }
    case 'paymentMethod':
      return (order) => sameText(order.paymentMethod, value);
    case 'paymentModule':
      return (order) => sameText(order.paymentModule, value);
    case 'shippingMethod':
      return (order) => sameText(nested(order, 'shippingOption', 'shippingMethodName'), value);
    case 'paymentStatus': {
      const statuses = new Set(commaList(value.toUpperCase()));
      return (order) => statuses.has(order.paymentStatus ?? '');
    }
    case 'fulfillmentStatus': {
      const statuses = new Set(commaList(value.toUpperCase()));
      return (order) => statuses.has(order.fulfillmentStatus ?? '');
    }
    case 'acceptMarketing': {
      const wanted = flag(name, value);
      return (order) => (order.acceptMarketing === true) === wanted;
    }
    case 'containsPreorderItems': {
      const wanted = flag(name, value);
      return (order) => items(order).some((item) => item.isPreorder === true) === wanted;
    }
    case 'couponCode':
      return (order) => sameText(nested(order, 'discountCoupon', 'code'), value);
    case 'subscriptionId':
      return (order) => sameId(order.subscriptionId, value);
    case 'refererId':
      return (order) => sameText(order.refererId, value);
  }
}

/** Compiles Ecwid's order search query; throws 400 WRONG_PARAMETER for unreadable values, ignores unknown names. */
/** Escaped, or `keywords=c&email=x` would share a cache key with `keywords=c` and `email=x`. */
export function filterKeyPart(name: string, value: string): string {
  return `${name}=${encodeURIComponent(value)}`;
}

export function compileOrderFilter(query: URLSearchParams): OrderFilter {
  const predicates: OrderPredicate[] = [];
  const keyParts: string[] = [];
  for (const name of FILTER_NAMES) {
    const value = query.get(name);
    if (value === null || value.trim() === '') {
      continue;
    }
    predicates.push(predicateFor(name, value.trim()));
    keyParts.push(filterKeyPart(name, value.trim()));
  }
  // Ecwid hides unfinished orders unless the caller asks for payment statuses explicitly.
  if (!query.get('paymentStatus')?.trim()) {
    predicates.push((order) => order.paymentStatus !== 'INCOMPLETE');
  }
  return {
    key: keyParts.join('&'),
    matches: (order) => {
      for (const predicate of predicates) {
        if (!predicate(order)) {
          return false;
        }
      }
      return true;
    },
  };
}

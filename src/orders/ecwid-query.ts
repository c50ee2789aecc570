import { ECWID_MAX_PAGE_SIZE } from '../ecwid.constants';
import type { EcwidQueryValue } from './ecwid-http.client';

/** The filters Ecwid reads as comma lists: written as a string, an empty one selects every order too. */
const LIST_FILTERS = new Set(['ids', 'paymentStatus', 'fulfillmentStatus']);

/** Ecwid's query conventions: a Date becomes UNIX seconds, an array a comma list, absent values are left out. */
export function toEcwidQuery(filters: object): Record<string, EcwidQueryValue> {
  const query: Record<string, EcwidQueryValue> = {};
  for (const [name, value] of Object.entries(filters)) {
    if (value === undefined || value === null) continue;
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw new RangeError(`${name} is an invalid Date`);
      query[name] = Math.floor(value.getTime() / 1000);
    } else if (Array.isArray(value)) {
      query[name] = checkFilterList(name, value).join(',');
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      if (typeof value === 'string' && LIST_FILTERS.has(name)) checkFilterList(name, value.split(','));
      query[name] = value;
    } else {
      throw new TypeError(`${name} must be a string, number, boolean, Date or array`);
    }
  }
  return query;
}

/**
 * A list filter's elements: strings or finite numbers, as a comma list carries them. Ecwid takes an empty value for no
 * filter at all, so a list with nothing in it would select every order rather than none.
 */
export function checkFilterList(name: string, list: readonly unknown[]): Array<string | number> {
  for (const element of list) {
    if (typeof element !== 'string' && !(typeof element === 'number' && Number.isFinite(element))) {
      throw new TypeError(`${name}: a list may hold only strings and finite numbers`);
    }
  }
  if (list.every((element) => String(element).trim() === '')) throw new RangeError(`${name}: an empty list would match every order`);
  return list as Array<string | number>;
}

export function checkPageSize(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > ECWID_MAX_PAGE_SIZE)) {
    throw new RangeError(`limit must be a whole number from 1 to ${ECWID_MAX_PAGE_SIZE} (Ecwid's maximum page size)`);
  }
}

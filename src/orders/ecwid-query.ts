import { ECWID_MAX_PAGE_SIZE } from '../ecwid.constants';
import type { EcwidQueryValue } from './ecwid-http.client';

/** Ecwid's query conventions: a Date becomes UNIX seconds, an array a comma list, absent values are left out. */
export function toEcwidQuery(filters: object): Record<string, EcwidQueryValue> {
  const query: Record<string, EcwidQueryValue> = {};
  for (const [name, value] of Object.entries(filters)) {
    if (value === undefined || value === null) continue;
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw new RangeError(`${name} is an invalid Date`);
      query[name] = Math.floor(value.getTime() / 1000);
    } else if (Array.isArray(value)) {
      query[name] = value.join(',');
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      query[name] = value;
    } else {
      throw new TypeError(`${name} must be a string, number, boolean, Date or array`);
    }
  }
  return query;
}

export function checkPageSize(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > ECWID_MAX_PAGE_SIZE)) {
    throw new RangeError(`limit must be a whole number from 1 to ${ECWID_MAX_PAGE_SIZE} (Ecwid's maximum page size)`);
  }
}

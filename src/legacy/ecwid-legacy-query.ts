import type { EcwidOrderSearchFilters, EcwidTimeFilter } from '../orders/ecwid-order.model';
import { checkFilterList } from '../orders/ecwid-query';
import { legacyStatusCodes } from './ecwid-legacy-statuses';
import { legacyUnsupported } from './ecwid-legacy-unsupported';

/** The legacy API's largest page. */
export const ECWID_LEGACY_MAX_PAGE_SIZE = 200;

/** v3 time filters and the legacy day filters they become. */
const DAY_FILTERS: Readonly<Record<string, string>> = {
  createdFrom: 'from_date',
  createdTo: 'to_date',
  updatedFrom: 'from_update_date',
  updatedTo: 'to_update_date',
};

const PLAIN_FILTERS: Readonly<Record<string, string>> = {
  email: 'customer_email',
  customerId: 'customer_id',
  offset: 'offset',
  limit: 'limit',
};

export function checkLegacyPageSize(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > ECWID_LEGACY_MAX_PAGE_SIZE)) {
    throw new RangeError(`limit must be a whole number from 1 to ${ECWID_LEGACY_MAX_PAGE_SIZE} (the legacy API's maximum page size)`);
  }
}

/** A date and time that names its offset: `2024-05-01 01:00:00 +0300` (Ecwid's), `2024-05-01T01:00:00+03:00`, `...Z`. */
const TIME_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(?:(Z)|([+-])(\d{2}):?(\d{2}))$/i;

/** The UTC day of a time written with its offset, which may be the day before or after the one written. */
function utcDayOf(text: string): string | undefined {
  const parts = TIME_WITH_OFFSET.exec(text);
  if (!parts) return undefined;
  const [, year, month, day, hours, minutes, seconds = '0', utc, sign, offsetHours, offsetMinutes] = parts;
  const offset = utc ? 0 : (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes));
  return new Date(Date.UTC(+year, +month - 1, +day, +hours, +minutes - offset, +seconds)).toISOString().slice(0, 10);
}

/**
 * The legacy API filters by whole days: a bound becomes its UTC day, so the rest of that day is included. A date
 * written without an offset is taken as written.
 */
function legacyDay(name: string, value: EcwidTimeFilter): string {
  const text = typeof value === 'string' ? value.trim() : undefined;
  const day = text === undefined ? undefined : utcDayOf(text);
  if (day !== undefined) return day;
  if (text !== undefined && /^\d{4}-\d{2}-\d{2}(?:$|[ T])/.test(text)) return text.slice(0, 10);
  const seconds = typeof value === 'number' ? value : text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
  const date = value instanceof Date ? value : seconds !== undefined ? new Date(seconds * 1000) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new RangeError(`${name} must be a valid Date, UNIX seconds or yyyy-MM-dd date`);
  return date.toISOString().slice(0, 10);
}

function listOf(name: string, value: string | unknown[]): string[] {
  const parts = checkFilterList(name, Array.isArray(value) ? value : value.split(','));
  return parts.map((part) => String(part).trim()).filter((part) => part !== '');
}

/** The one order an `ids` filter names, by number: the legacy API has no other way to select orders. */
function singleOrderNumber(ids: string | unknown[]): string {
  const list = listOf('ids', ids);
  if (list.length !== 1 || !/^\d+$/.test(list[0])) throw legacyUnsupported('An "ids" filter other than one order number');
  return list[0];
}

/** v3 search filters as the legacy query; a filter the legacy API lacks throws rather than being dropped. */
export function toLegacyOrderQuery(filters: EcwidOrderSearchFilters): URLSearchParams {
  const query = new URLSearchParams();
  const statuses: string[] = [];
  for (const [name, value] of Object.entries(filters) as Array<[string, unknown]>) {
    if (value === undefined || value === null) continue;
    if (name in DAY_FILTERS) {
      query.set(DAY_FILTERS[name], legacyDay(name, value as EcwidTimeFilter));
    } else if (name in PLAIN_FILTERS) {
      query.set(PLAIN_FILTERS[name], String(value));
    } else if (name === 'ids') {
      query.set('order', singleOrderNumber(value as string | unknown[]));
    } else if (name === 'paymentStatus' || name === 'fulfillmentStatus') {
      statuses.push(...listOf(name, value as string | unknown[]).flatMap(legacyStatusCodes));
    } else {
      throw legacyUnsupported(`The "${name}" filter`);
    }
  }
  if (statuses.length > 0) query.set('statuses', statuses.join(','));
  return query;
}

/** `yyyy-MM-dd[ HH:mm:ss][ ±hhmm]`; the sign may arrive as a space when a client sent a raw `+` in a query. */
const ECWID_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?(?:\s*([+-])?(\d{2}):?(\d{2}))?$/;

let lastFormattedSeconds = Number.NaN;
let lastFormatted = '';

/** UNIX seconds -> Ecwid's `"2024-05-01 05:26:28 +0000"`. */
export function formatEcwidDate(unixSeconds: number): string {
  // Bulk-seeded orders share a second: reusing the string keeps 100k orders lean.
  if (unixSeconds !== lastFormattedSeconds) {
    lastFormattedSeconds = unixSeconds;
    lastFormatted = `${new Date(unixSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} +0000`;
  }
  return lastFormatted;
}

/** UNIX seconds or an Ecwid date string (UTC unless it carries an offset) -> UNIX seconds; undefined if unreadable. */
export function parseEcwidTime(value: string | number): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? Math.floor(value) : undefined;
  }
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    return Number(text);
  }
  const parts = ECWID_DATE.exec(text);
  if (!parts) {
    return undefined;
  }
  const [, year, month, day, hours = '0', minutes = '0', seconds = '0', sign, offsetHours, offsetMinutes] = parts;
  // `2024-05-01 05:26` is a time without seconds, not an offset that lost its sign: not Ecwid's format.
  if (parts[4] === undefined && sign === undefined && /\d:\d{2}$/.test(text)) {
    return undefined;
  }
  const utcMs = Date.UTC(+year, +month - 1, +day, +hours, +minutes, +seconds);
  const date = new Date(utcMs);
  // Date.UTC rolls 2024-02-31 over to March: a date that does not come back unchanged was invalid.
  if (date.getUTCMonth() !== +month - 1 || date.getUTCDate() !== +day || +hours > 23 || +minutes > 59 || +seconds > 59) {
    return undefined;
  }
  const offsetSeconds = offsetHours === undefined ? 0 : (+offsetHours * 60 + +offsetMinutes) * 60;
  return Math.floor(utcMs / 1000) - (sign === '-' ? -offsetSeconds : offsetSeconds);
}

export function unixSeconds(epochMs: number): number {
  return Math.floor(epochMs / 1000);
}

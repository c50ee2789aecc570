/** Injection tokens and defaults, in one place. */

export const ECWID_RESOLVED_CONFIG = Symbol('ECWID_RESOLVED_CONFIG');
export const ECWID_DEDUP_STORE = Symbol('ECWID_DEDUP_STORE');
export const ECWID_HTTP_CLIENT = Symbol('ECWID_HTTP_CLIENT');
export const ECWID_EVENT_SINK = Symbol('ECWID_EVENT_SINK');

export const ECWID_ELEMENT_KEY = 'ecwid';
export const ECWID_EVENT_PREFIX = 'ecwid';

export const DEFAULT_API_BASE_URL = 'https://app.ecwid.com/api/v3';
export const DEFAULT_WEBHOOK_PATH = 'ecwid/webhooks';
export const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 64 * 1024;
/** Ecwid redelivers the same event for 24 h; keep ids a day longer than that. */
export const DEFAULT_DEDUP_TTL_SECONDS = 48 * 60 * 60;
export const DEFAULT_DEDUP_MAX_ENTRIES = 100_000;
export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_RETRIES = 4;
export const DEFAULT_RETRY_BASE_DELAY_MS = 500;
export const DEFAULT_RETRY_MAX_DELAY_MS = 30_000;
/** Ecwid's documented per-token limit. */
export const DEFAULT_REQUESTS_PER_MINUTE = 600;
/** Ecwid's maximum page size. */
export const ECWID_MAX_PAGE_SIZE = 100;

/** Injection tokens and defaults, in one place. */

export const ECWID_RESOLVED_CONFIG = Symbol('ECWID_RESOLVED_CONFIG');
export const ECWID_DEDUP_STORE = Symbol('ECWID_DEDUP_STORE');
export const ECWID_STATE_STORE = Symbol('ECWID_STATE_STORE');
export const ECWID_HTTP_CLIENT = Symbol('ECWID_HTTP_CLIENT');
export const ECWID_EVENT_SINK = Symbol('ECWID_EVENT_SINK');
/** The module class itself, where `RouterModule.register` writes the path it puts the module's routes under. */
export const ECWID_MODULE_CLASS = Symbol('ECWID_MODULE_CLASS');

export const ECWID_ELEMENT_KEY = 'ecwid';
export const ECWID_EVENT_PREFIX = 'ecwid';

export const DEFAULT_API_BASE_URL = 'https://app.ecwid.com/api/v3';
export const DEFAULT_WEBHOOK_PATH = 'ecwid/webhooks';
export const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 64 * 1024;
/** Ecwid redelivers the same event for 24 h; keep ids a day longer than that. */
export const DEFAULT_DEDUP_TTL_SECONDS = 48 * 60 * 60;
export const DEFAULT_DEDUP_MAX_ENTRIES = 100_000;
/** The most ids an in-memory dedup store remembers: for this many its index takes 2^27 cells, two 32-bit numbers each (1 GiB). */
export const MAX_DEDUP_ENTRIES = 2 ** 26;
export const DEFAULT_TIMEOUT_MS = 15_000;
/** Ecwid waits 10 s for a webhook's answer; a hydrating read that takes longer is given up and answered 503 first. */
export const DEFAULT_HYDRATE_TIMEOUT_MS = 8_000;
export const DEFAULT_MAX_RETRIES = 4;
export const DEFAULT_RETRY_BASE_DELAY_MS = 500;
export const DEFAULT_RETRY_MAX_DELAY_MS = 30_000;
/** Ecwid's documented per-token limit. */
export const DEFAULT_REQUESTS_PER_MINUTE = 600;
/** Ecwid's maximum page size. */
export const ECWID_MAX_PAGE_SIZE = 100;

/** An idle cycle costs two requests (orders, deleted orders): 0.3% of the per-token budget at one a minute. */
export const DEFAULT_POLL_INTERVAL_MINUTES = 1;
/** Cloud Elements' pollDelay: re-read the tail of the last window, as Ecwid's search index can lag a change. */
export const DEFAULT_POLL_OVERLAP_SECONDS = 30;
/** Cloud Elements' createdCheckTolerance. */
export const DEFAULT_CREATED_TOLERANCE_SECONDS = 2;
export const DEFAULT_POLL_LEASE_TTL_MS = 30_000;
export const DEFAULT_STATE_PATH = '.ecwid/ecwid-state.db';
/** Cloud Elements retried a notification 9 times, 2^(2x) seconds apart: the unit is a second, the factor 4. */
export const DEFAULT_NOTIFY_MAX_RETRIES = 9;
export const DEFAULT_NOTIFY_RETRY_UNIT_MS = 1000;
export const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000;
/** Cloud Elements put up to 20 webhook events, or 10 polled ones, in one notification. */
export const NOTIFY_BATCH_WEBHOOK = 20;
export const NOTIFY_BATCH_POLLING = 10;

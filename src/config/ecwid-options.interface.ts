import type { EcwidDedupStore } from '../state/ecwid-dedup-store.interface';
import type { EcwidStateStoreOptions } from '../state/ecwid-state-store.factory';
import type { EcwidStateStore } from '../state/ecwid-state-store.interface';

/** The Cloud Elements instance JSON, accepted verbatim. */
export interface EcwidInstanceJson {
  element?: { key?: string; [field: string]: unknown };
  /** Dotted keys such as `ecwid.store.id`, `ecwid.order.key`, `event.notification.enabled`. Values may be strings, as Cloud Elements stores them. */
  configuration?: Record<string, unknown>;
  name?: string;
  tags?: string[];
  [field: string]: unknown;
}

export interface EcwidHttpOptions {
  /** Per-request timeout. Default 15000. */
  timeoutMs?: number;
  /** Retries of idempotent calls on 429, 5xx and network errors. Default 4. */
  maxRetries?: number;
  /** First backoff step; doubles each retry, with full jitter. Default 500. */
  retryBaseDelayMs?: number;
  /** Backoff cap. Default 30000. */
  retryMaxDelayMs?: number;
  /** Client-side limit per token in any rolling minute. Default 600 (Ecwid's limit). */
  requestsPerMinute?: number;
  /** The window `requestsPerMinute` counts over: a minute, as Ecwid's. Shorter only to scale a test down in time. */
  rateLimitWindowMs?: number;
}

export interface EcwidWebhookOptions {
  /** Register the webhook controller. Default: on when a client secret is configured. */
  enabled?: boolean;
  /** Route path below the app's global prefix. Default `ecwid/webhooks`. */
  path?: string;
  /** Larger deliveries get 413. Default 65536. */
  maxBodyBytes?: number;
  /** How long a handled eventId is remembered. Default 48 h; at least 24 h, since Ecwid redelivers for a day. */
  dedupTtlSeconds?: number;
  /**
   * A delivery whose `eventCreated` is older gets 400: Ecwid signs only the event's id and time, so once the id has
   * left the dedup window a captured delivery could be replayed as new. Default `dedupTtlSeconds`; between 24 h
   * (Ecwid's last retry) and `dedupTtlSeconds`.
   */
  maxEventAgeSeconds?: number;
  /** Bound of the in-memory dedup store; the oldest ids go first. Default 100000; about 40 bytes per entry (52 at most) reserved up front. */
  dedupMaxEntries?: number;
  /** Class decorators for the webhook controller, e.g. `[SkipThrottle(), Public()]` to pass global guards. */
  decorators?: ClassDecorator[];
}

/** Cloud Elements-style callback notifications; the instance JSON's `event.notification.*` keys fill the same settings. */
export interface EcwidNotificationOptions {
  enabled?: boolean;
  callbackUrl?: string;
  /** Signs each body: `Elements-Webhook-Signature: sha256=<base64 HMAC-SHA256>`. */
  signatureKey?: string;
  /** Retries before a notification is parked as failed. Default 9. */
  maxRetries?: number;
  /**
   * Retry n is due `retryUnitMs * 4^n` after the first failure (or at Retry-After, if later). Default 1000; smaller only
   * to scale tests down.
   */
  retryUnitMs?: number;
  /** Per delivery. Default 10000. */
  timeoutMs?: number;
}

export interface EcwidIonRouteOptions {
  /**
   * Register the ION route. Default: on when the legacy Order API key (`ecwid.order.key`) is configured. Needs `token`
   * or `ecwid.order.key`, since each post is confirmed by reading the order.
   */
  enabled?: boolean;
  /** Route path below the app's global prefix. Default `ecwid/ion`. */
  path?: string;
}

export interface EcwidPollingOptions {
  /** Poll the orders API for changes. Default: on when the instance JSON says `event.vendor.type: polling`. */
  enabled?: boolean;
  /**
   * Run cycles on the interval from boot. Default true; false leaves them to `EcwidOrderPoller.pollNow()`, for tests
   * or a host that schedules polling itself.
   */
  autoStart?: boolean;
  /** Minutes between cycles (`event.poller.refresh_interval`); fractions allowed. Default 1. */
  intervalMinutes?: number;
  /** Each window starts this many seconds before the last one ended (Cloud Elements' `pollDelay`). Default 30. */
  overlapSeconds?: number;
  /** Created and updated times this close make a change `order.created` (`createdCheckTolerance`). Default 2. */
  createdToleranceSeconds?: number;
  /** Orders per request, 1..100. Default 100. */
  pageSize?: number;
  /** Where the first cycle starts: a Date, UNIX seconds, an ISO date, or `'now'` (default). Earlier dates backfill. */
  startFrom?: Date | number | string;
  /** The polling lease: another replica takes over this long after the holder stops renewing. Default 30000. */
  leaseTtlMs?: number;
}

/**
 * Canonical options. The Cloud Elements instance JSON fields (`element`, `configuration`, `name`, `tags`)
 * may be given instead of, or beside, the canonical ones; when both name a setting they must agree.
 */
export interface EcwidModuleOptions extends EcwidInstanceJson {
  storeId?: number | string;
  /** REST API v3 access token (`secret_...`). Sent only as `Authorization: Bearer`. */
  token?: string;
  /** The Ecwid app's client_secret; verifies webhook signatures. */
  clientSecret?: string;
  /** Default `https://app.ecwid.com/api/v3`. */
  apiBaseUrl?: string;
  /** Fetch the current order through the API before emitting order events. Default false. */
  hydrate?: boolean;
  /**
   * The longest a delivery waits for `hydrate`'s read of the order before it is answered 503 (Ecwid retries).
   * Default 8000: Ecwid counts a webhook as failed when its answer takes over 10 s.
   */
  hydrateTimeoutMs?: number;
  http?: EcwidHttpOptions;
  webhooks?: EcwidWebhookOptions;
  polling?: EcwidPollingOptions;
  notifications?: EcwidNotificationOptions;
  /** The legacy API (v1), used with `ecwid.order.key` when there is no v3 token. */
  legacy?: { apiBaseUrl?: string };
  /** Instant Order Notifications: the route Ecwid's legacy form posts reach. */
  ion?: EcwidIonRouteOptions;
  /**
   * Where dedup ids, poll cursors, order snapshots and leases live: `{ type: 'memory' }`, `{ type: 'sqlite', path }`
   * or `{ type: 'redis', redis }`, or a store instance. Default: SQLite at `.ecwid/ecwid-state.db` when polling or
   * notifications are on, memory otherwise.
   */
  state?: EcwidStateStoreOptions | EcwidStateStore;
  /**
   * Millisecond clock that bounds polling windows, dates webhook age checks and schedules notification retries. Default `Date.now`; tests share
   * one with the sandbox to move time.
   */
  clock?: () => number;
  /**
   * Dedups every source (webhooks, ION, polling) in this store instead of `state`, which keeps the rest (cursors,
   * snapshots, leases, the outbox). With several replicas it must be shared too, or each replica dedups alone.
   */
  dedupStore?: EcwidDedupStore;
}

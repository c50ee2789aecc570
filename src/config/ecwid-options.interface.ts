import type { EcwidDedupStore } from '../state/ecwid-dedup-store.interface';

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
  /** Bound of the in-memory dedup store. Default 100000. */
  dedupMaxEntries?: number;
  /** Class decorators for the webhook controller, e.g. `[SkipThrottle(), Public()]` to pass global guards. */
  decorators?: ClassDecorator[];
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
  http?: EcwidHttpOptions;
  webhooks?: EcwidWebhookOptions;
  /** Replaces the in-memory dedup store (e.g. a shared one for several replicas). */
  dedupStore?: EcwidDedupStore;
}

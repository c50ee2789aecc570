import type { EcwidDedupStore } from '../state/ecwid-dedup-store.interface';
import type { EcwidStateStoreOptions } from '../state/ecwid-state-store.factory';
import type { EcwidStateStore } from '../state/ecwid-state-store.interface';
import type { EcwidSecret } from './ecwid-secret';

/** `event.vendor.type`: both spellings of webhooks occur in Cloud Elements material. */
export type EcwidEventVendorType = 'polling' | 'webhook';

/** The options after validation at boot; code past that point trusts it. Secrets are wrapped. */
export interface EcwidResolvedConfig {
  storeId: number;
  token?: EcwidSecret;
  clientSecret?: EcwidSecret;
  apiBaseUrl: string;
  hydrate: boolean;
  hydrateTimeoutMs: number;
  http: {
    timeoutMs: number;
    maxRetries: number;
    retryBaseDelayMs: number;
    retryMaxDelayMs: number;
    requestsPerMinute: number;
    rateLimitWindowMs: number;
  };
  webhooks: {
    enabled: boolean;
    path: string;
    maxBodyBytes: number;
    dedupTtlSeconds: number;
    /** Deliveries of events created longer ago are refused: past the dedup window a replay would pass as new. */
    maxEventAgeSeconds: number;
    dedupMaxEntries: number;
  };
  /** Cloud Elements instance facts, kept for the notification and legacy API features. */
  instance: {
    elementKey: string;
    name?: string;
    tags: string[];
    oauthApiKey?: string;
    oauthCallbackUrl?: string;
    /** Cloud Elements' own element-instance token (a top-level `token` beside `element`): kept, never sent to Ecwid. */
    elementToken?: EcwidSecret<unknown>;
    /** Keys in `configuration` this module does not know; kept, and named once in the boot log. */
    unrecognizedKeys: string[];
    /** Their values as given, for later features; held as secrets, since one may be a credential of another system. */
    unrecognized: Record<string, EcwidSecret<unknown>>;
  };
  legacy: {
    orderKey?: EcwidSecret;
    productKey?: EcwidSecret;
    /** Default: `apiBaseUrl` with `/api/v3` replaced by `/api/v1`. */
    apiBaseUrl?: string;
  };
  events: {
    notificationEnabled: boolean;
    vendorType?: EcwidEventVendorType;
    callbackUrl?: string;
    signatureKey?: EcwidSecret;
    pollerRefreshIntervalMinutes?: number;
    pollerConfiguration?: Record<string, unknown>;
  };
  polling: {
    enabled: boolean;
    autoStart: boolean;
    intervalMs: number;
    overlapSeconds: number;
    createdToleranceSeconds: number;
    pageSize: number;
    /** UNIX seconds; absent means "from the first start on". */
    startFrom?: number;
    leaseTtlMs: number;
  };
  /** Options for a store the module creates, or the user's own instance. */
  state: EcwidStateStoreOptions | EcwidStateStore;
  /** Delivery of callback notifications (`events.notificationEnabled`, `events.callbackUrl`, `events.signatureKey`). */
  notifications: {
    maxRetries: number;
    retryUnitMs: number;
    timeoutMs: number;
  };
  clock: () => number;
  dedupStore?: EcwidDedupStore;
}

import type { EcwidConfigField } from './ecwid-config.schema';

export type Coercion = 'int' | 'number' | 'bool' | 'string' | 'json';

/** How a setting's value may be shown: as it is, not at all (a credential), or as a URL without credentials. */
export type EcwidFieldShown = 'plain' | 'secret' | 'url' | 'callbackUrl';

export interface FieldSpec {
  field: EcwidConfigField;
  /** Path in the canonical options. */
  path?: string[];
  /** Key in the Cloud Elements `configuration` object. */
  instanceKey?: string;
  coerce: Coercion;
  shown?: EcwidFieldShown;
}

/** Every setting, by its canonical path and its instance JSON key. */
export const FIELDS: FieldSpec[] = [
  { field: 'storeId', path: ['storeId'], instanceKey: 'ecwid.store.id', coerce: 'int' },
  { field: 'token', path: ['token'], instanceKey: 'ecwid.api.token', coerce: 'string', shown: 'secret' },
  { field: 'clientSecret', path: ['clientSecret'], instanceKey: 'oauth.api.secret', coerce: 'string', shown: 'secret' },
  { field: 'apiBaseUrl', path: ['apiBaseUrl'], instanceKey: 'ecwid.api.base.url', coerce: 'string', shown: 'url' },
  { field: 'hydrate', path: ['hydrate'], coerce: 'bool' },
  { field: 'hydrateTimeoutMs', path: ['hydrateTimeoutMs'], coerce: 'int' },
  { field: 'timeoutMs', path: ['http', 'timeoutMs'], coerce: 'int' },
  { field: 'maxRetries', path: ['http', 'maxRetries'], coerce: 'int' },
  { field: 'retryBaseDelayMs', path: ['http', 'retryBaseDelayMs'], coerce: 'int' },
  { field: 'retryMaxDelayMs', path: ['http', 'retryMaxDelayMs'], coerce: 'int' },
  { field: 'requestsPerMinute', path: ['http', 'requestsPerMinute'], coerce: 'int' },
  { field: 'rateLimitWindowMs', path: ['http', 'rateLimitWindowMs'], coerce: 'int' },
  { field: 'webhooksEnabled', path: ['webhooks', 'enabled'], coerce: 'bool' },
  { field: 'webhooksPath', path: ['webhooks', 'path'], coerce: 'string' },
  { field: 'ionEnabled', path: ['ion', 'enabled'], coerce: 'bool' },
  { field: 'ionPath', path: ['ion', 'path'], coerce: 'string' },
  { field: 'maxBodyBytes', path: ['webhooks', 'maxBodyBytes'], coerce: 'int' },
  { field: 'dedupTtlSeconds', path: ['webhooks', 'dedupTtlSeconds'], coerce: 'int' },
  { field: 'maxEventAgeSeconds', path: ['webhooks', 'maxEventAgeSeconds'], coerce: 'int' },
  { field: 'dedupMaxEntries', path: ['webhooks', 'dedupMaxEntries'], coerce: 'int' },
  { field: 'elementKey', path: ['element', 'key'], coerce: 'string' },
  { field: 'instanceName', path: ['name'], coerce: 'string' },
  { field: 'tags', path: ['tags'], coerce: 'json' },
  { field: 'oauthApiKey', instanceKey: 'oauth.api.key', coerce: 'string' },
  { field: 'oauthCallbackUrl', instanceKey: 'oauth.callback.url', coerce: 'string', shown: 'url' },
  { field: 'legacyOrderKey', instanceKey: 'ecwid.order.key', coerce: 'string', shown: 'secret' },
  { field: 'legacyProductKey', instanceKey: 'ecwid.product.key', coerce: 'string', shown: 'secret' },
  { field: 'legacyApiBaseUrl', path: ['legacy', 'apiBaseUrl'], instanceKey: 'ecwid.legacy.api.base.url', coerce: 'string', shown: 'url' },
  { field: 'notificationEnabled', path: ['notifications', 'enabled'], instanceKey: 'event.notification.enabled', coerce: 'bool' },
  { field: 'vendorType', instanceKey: 'event.vendor.type', coerce: 'string' },
  {
    field: 'callbackUrl',
    path: ['notifications', 'callbackUrl'],
    instanceKey: 'event.notification.callback.url',
    coerce: 'string',
    shown: 'callbackUrl',
  },
  {
    field: 'signatureKey',
    path: ['notifications', 'signatureKey'],
    instanceKey: 'event.notification.signature.key',
    coerce: 'string',
    shown: 'secret',
  },
  { field: 'notifyMaxRetries', path: ['notifications', 'maxRetries'], coerce: 'int' },
  { field: 'notifyRetryUnitMs', path: ['notifications', 'retryUnitMs'], coerce: 'int' },
  { field: 'notifyTimeoutMs', path: ['notifications', 'timeoutMs'], coerce: 'int' },
  { field: 'pollerRefreshIntervalMinutes', path: ['polling', 'intervalMinutes'], instanceKey: 'event.poller.refresh_interval', coerce: 'number' },
  { field: 'pollingEnabled', path: ['polling', 'enabled'], coerce: 'bool' },
  { field: 'pollAutoStart', path: ['polling', 'autoStart'], coerce: 'bool' },
  { field: 'pollOverlapSeconds', path: ['polling', 'overlapSeconds'], coerce: 'int' },
  { field: 'pollCreatedToleranceSeconds', path: ['polling', 'createdToleranceSeconds'], coerce: 'number' },
  { field: 'pollPageSize', path: ['polling', 'pageSize'], coerce: 'int' },
  { field: 'pollLeaseTtlMs', path: ['polling', 'leaseTtlMs'], coerce: 'int' },
  { field: 'pollerConfiguration', instanceKey: 'event.poller.configuration', coerce: 'json' },
];

export const CANONICAL_PATHS = FIELDS.flatMap((f) => (f.path ? [f.path] : []));
/** Top-level options not read through the resolver's field table. */
export const OTHER_TOP_LEVEL_OPTIONS = ['configuration', 'state', 'clock', 'dedupStore', 'isGlobal'];
export const KNOWN_INSTANCE_KEYS = new Set(FIELDS.flatMap((f) => (f.instanceKey ? [f.instanceKey] : [])));

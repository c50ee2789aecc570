import { validateSync } from 'class-validator';
import {
  DEFAULT_API_BASE_URL,
  DEFAULT_DEDUP_MAX_ENTRIES,
  DEFAULT_DEDUP_TTL_SECONDS,
  DEFAULT_MAX_RETRIES,
  DEFAULT_REQUESTS_PER_MINUTE,
  DEFAULT_RETRY_BASE_DELAY_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_WEBHOOK_MAX_BODY_BYTES,
  DEFAULT_WEBHOOK_PATH,
  ECWID_ELEMENT_KEY,
} from '../ecwid.constants';
import { EcwidConfigError, EcwidConfigProblem } from './ecwid-config.error';
import { EcwidConfigField, EcwidConfigSchema } from './ecwid-config.schema';
import type { EcwidModuleOptions } from './ecwid-options.interface';
import type { EcwidEventVendorType, EcwidResolvedConfig } from './ecwid-resolved-config';
import { EcwidSecret } from './ecwid-secret';

/**
 * Options built from another source (environment variables, say) carry the names the user wrote
 * under this symbol, so that a configuration error names `ECWID_STORE_ID` rather than `storeId`.
 */
export const ECWID_OPTION_KEYS = Symbol.for('nestjs-ecwid.option-keys');

type Coercion = 'int' | 'number' | 'bool' | 'string' | 'json';

interface FieldSpec {
  field: EcwidConfigField;
  /** Path in the canonical options. */
  path?: string[];
  /** Key in the Cloud Elements `configuration` object. */
  instanceKey?: string;
  coerce: Coercion;
}

const FIELDS: FieldSpec[] = [
  { field: 'storeId', path: ['storeId'], instanceKey: 'ecwid.store.id', coerce: 'int' },
  { field: 'token', path: ['token'], instanceKey: 'ecwid.api.token', coerce: 'string' },
  { field: 'clientSecret', path: ['clientSecret'], instanceKey: 'oauth.api.secret', coerce: 'string' },
  { field: 'apiBaseUrl', path: ['apiBaseUrl'], instanceKey: 'ecwid.api.base.url', coerce: 'string' },
  { field: 'hydrate', path: ['hydrate'], coerce: 'bool' },
  { field: 'timeoutMs', path: ['http', 'timeoutMs'], coerce: 'int' },
  { field: 'maxRetries', path: ['http', 'maxRetries'], coerce: 'int' },
  { field: 'retryBaseDelayMs', path: ['http', 'retryBaseDelayMs'], coerce: 'int' },
  { field: 'retryMaxDelayMs', path: ['http', 'retryMaxDelayMs'], coerce: 'int' },
  { field: 'requestsPerMinute', path: ['http', 'requestsPerMinute'], coerce: 'int' },
  { field: 'webhooksEnabled', path: ['webhooks', 'enabled'], coerce: 'bool' },
  { field: 'webhooksPath', path: ['webhooks', 'path'], coerce: 'string' },
  { field: 'maxBodyBytes', path: ['webhooks', 'maxBodyBytes'], coerce: 'int' },
  { field: 'dedupTtlSeconds', path: ['webhooks', 'dedupTtlSeconds'], coerce: 'int' },
  { field: 'dedupMaxEntries', path: ['webhooks', 'dedupMaxEntries'], coerce: 'int' },
  { field: 'elementKey', path: ['element', 'key'], coerce: 'string' },
  { field: 'instanceName', path: ['name'], coerce: 'string' },
  { field: 'tags', path: ['tags'], coerce: 'json' },
  { field: 'oauthApiKey', instanceKey: 'oauth.api.key', coerce: 'string' },
  { field: 'oauthCallbackUrl', instanceKey: 'oauth.callback.url', coerce: 'string' },
  { field: 'legacyOrderKey', instanceKey: 'ecwid.order.key', coerce: 'string' },
  { field: 'legacyProductKey', instanceKey: 'ecwid.product.key', coerce: 'string' },
  { field: 'notificationEnabled', instanceKey: 'event.notification.enabled', coerce: 'bool' },
  { field: 'vendorType', instanceKey: 'event.vendor.type', coerce: 'string' },
  { field: 'callbackUrl', instanceKey: 'event.notification.callback.url', coerce: 'string' },
  { field: 'signatureKey', instanceKey: 'event.notification.signature.key', coerce: 'string' },
  { field: 'pollerRefreshIntervalMinutes', instanceKey: 'event.poller.refresh_interval', coerce: 'number' },
  { field: 'pollerConfiguration', instanceKey: 'event.poller.configuration', coerce: 'json' },
];

const KNOWN_INSTANCE_KEYS = new Set(FIELDS.flatMap((f) => (f.instanceKey ? [f.instanceKey] : [])));
const NUMERIC = /^\s*-?\d+(\.\d+)?\s*$/;

function pick(source: unknown, path: string[]): unknown {
  let value = source;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

class Coerced {
  constructor(readonly value: unknown, readonly invalidJson = false) {}
}

function coerce(value: unknown, kind: Coercion): Coerced {
  if (typeof value !== 'string') return new Coerced(value);
  switch (kind) {
    case 'int':
    case 'number':
      return new Coerced(NUMERIC.test(value) ? Number(value) : value);
    case 'bool': {
      const lower = value.trim().toLowerCase();
      return new Coerced(lower === 'true' ? true : lower === 'false' ? false : value);
    }
    case 'json':
      try {
        return new Coerced(JSON.parse(value));
      } catch {
        return new Coerced(undefined, true);
      }
    case 'string':
      return new Coerced(value);
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Validates the options once, at boot; throws one EcwidConfigError naming every problem by the user's key. */
export function resolveEcwidConfig(options: EcwidModuleOptions): EcwidResolvedConfig {
  const problems: EcwidConfigProblem[] = [];
  const declaredKeys = (options as Record<symbol, Partial<Record<EcwidConfigField, string>>>)[ECWID_OPTION_KEYS] ?? {};
  const configuration = options.configuration;
  const instance = configuration !== null && typeof configuration === 'object' ? configuration : undefined;
  if (configuration !== undefined && !instance) {
    problems.push({ key: 'configuration', message: 'must be an object of Cloud Elements configuration keys' });
  }

  const schema = new EcwidConfigSchema();
  const keyOf = new Map<EcwidConfigField, string>();
  const reported = new Set<EcwidConfigField>();
  for (const spec of FIELDS) {
    const canonicalKey = spec.path?.join('.');
    const fromCanonical = spec.path ? coerce(pick(options, spec.path), spec.coerce) : new Coerced(undefined);
    const fromInstance = spec.instanceKey && instance ? coerce(instance[spec.instanceKey], spec.coerce) : new Coerced(undefined);
    const usedInstance = fromCanonical.value === undefined && fromInstance.value !== undefined;
    const named = fromCanonical.value !== undefined ? canonicalKey : instance ? spec.instanceKey : undefined;
    const key = (usedInstance ? spec.instanceKey : (declaredKeys[spec.field] ?? named ?? canonicalKey ?? spec.instanceKey)) ?? spec.field;
    keyOf.set(spec.field, key);

    if (fromCanonical.invalidJson || fromInstance.invalidJson) {
      problems.push({ key, message: 'must be valid JSON' });
      reported.add(spec.field);
      continue;
    }
    if (fromCanonical.value !== undefined && fromInstance.value !== undefined && !same(fromCanonical.value, fromInstance.value)) {
      problems.push({
        key: declaredKeys[spec.field] ?? canonicalKey ?? spec.field,
        message: `disagrees with ${spec.instanceKey}; give one of them`,
      });
      reported.add(spec.field);
      continue;
    }
    const value = fromCanonical.value ?? fromInstance.value;
    if (value !== undefined && value !== null && value !== '') {
      (schema as Record<string, unknown>)[spec.field] = value;
    }
  }
  const keyName = (field: EcwidConfigField): string => keyOf.get(field) ?? field;

  for (const error of validateSync(schema, { forbidUnknownValues: false })) {
    const field = error.property as EcwidConfigField;
    if (reported.has(field)) continue;
    const message = Object.values(error.constraints ?? {})[0];
    if (field === 'storeId' && schema.storeId === undefined) {
      problems.push({ key: keyName(field), message: 'is required' });
    } else if (message) {
      problems.push({ key: keyName(field), message });
    }
  }
  const hasProblem = (field: EcwidConfigField) => problems.some((p) => p.key === keyName(field));

  if (!schema.token && !schema.clientSecret && !schema.legacyOrderKey && !hasProblem('token') && !hasProblem('clientSecret')) {
    problems.push({
      key: `${keyName('token')} | ${keyName('clientSecret')} | ${keyName('legacyOrderKey')}`,
      message: 'at least one credential is required: the v3 API token, the app client secret, or the legacy Order API key',
    });
  }
  if (schema.webhooksEnabled === true && !schema.clientSecret) {
    problems.push({ key: keyName('webhooksEnabled'), message: `needs ${keyName('clientSecret')} to verify webhook signatures` });
  }
  if (schema.hydrate === true && !schema.token) {
    problems.push({ key: keyName('hydrate'), message: `needs ${keyName('token')} to read orders through the API` });
  }
  if (schema.notificationEnabled === true && !schema.callbackUrl && !hasProblem('callbackUrl')) {
    problems.push({ key: keyName('callbackUrl'), message: `is required when ${keyName('notificationEnabled')} is true` });
  }
  if (
    schema.retryBaseDelayMs !== undefined &&
    schema.retryMaxDelayMs !== undefined &&
    schema.retryMaxDelayMs < schema.retryBaseDelayMs
  ) {
    problems.push({ key: keyName('retryMaxDelayMs'), message: `must not be less than ${keyName('retryBaseDelayMs')}` });
  }
  if (problems.length > 0) throw new EcwidConfigError(problems);

  const secret = (value?: string) => (value ? new EcwidSecret(value) : undefined);
  const webhooksPath = (schema.webhooksPath ?? DEFAULT_WEBHOOK_PATH).replace(/^\/+|\/+$/g, '');
  return {
    storeId: schema.storeId as number,
    token: secret(schema.token),
    clientSecret: secret(schema.clientSecret),
    apiBaseUrl: (schema.apiBaseUrl ?? DEFAULT_API_BASE_URL).replace(/\/+$/, ''),
    hydrate: schema.hydrate ?? false,
    http: {
      timeoutMs: schema.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRetries: schema.maxRetries ?? DEFAULT_MAX_RETRIES,
      retryBaseDelayMs: schema.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS,
      retryMaxDelayMs: schema.retryMaxDelayMs ?? Math.max(DEFAULT_RETRY_MAX_DELAY_MS, schema.retryBaseDelayMs ?? 0),
      requestsPerMinute: schema.requestsPerMinute ?? DEFAULT_REQUESTS_PER_MINUTE,
    },
    webhooks: {
      enabled: schema.webhooksEnabled ?? schema.clientSecret !== undefined,
      path: webhooksPath,
      maxBodyBytes: schema.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES,
      dedupTtlSeconds: schema.dedupTtlSeconds ?? DEFAULT_DEDUP_TTL_SECONDS,
      dedupMaxEntries: schema.dedupMaxEntries ?? DEFAULT_DEDUP_MAX_ENTRIES,
    },
    instance: {
      elementKey: schema.elementKey ?? ECWID_ELEMENT_KEY,
      name: schema.instanceName,
      tags: schema.tags ?? [],
      oauthApiKey: schema.oauthApiKey,
      oauthCallbackUrl: schema.oauthCallbackUrl,
      unrecognizedKeys: instance ? Object.keys(instance).filter((k) => !KNOWN_INSTANCE_KEYS.has(k)) : [],
    },
    legacy: {
      orderKey: secret(schema.legacyOrderKey),
      productKey: secret(schema.legacyProductKey),
    },
    events: {
      notificationEnabled: schema.notificationEnabled ?? false,
      vendorType: schema.vendorType === undefined ? undefined : (schema.vendorType.replace(/s$/, '') as EcwidEventVendorType),
      callbackUrl: schema.callbackUrl,
      signatureKey: secret(schema.signatureKey),
      pollerRefreshIntervalMinutes: schema.pollerRefreshIntervalMinutes,
      pollerConfiguration: schema.pollerConfiguration,
    },
    dedupStore: options.dedupStore,
  };
}

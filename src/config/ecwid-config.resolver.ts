import { validateSync } from 'class-validator';
import {
  DEFAULT_API_BASE_URL,
  DEFAULT_DEDUP_MAX_ENTRIES,
  MAX_DEDUP_ENTRIES,
  DEFAULT_DEDUP_TTL_SECONDS,
  DEFAULT_HYDRATE_TIMEOUT_MS,
  DEFAULT_MAX_RETRIES,
  DEFAULT_REQUESTS_PER_MINUTE,
  DEFAULT_RETRY_BASE_DELAY_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_WEBHOOK_MAX_BODY_BYTES,
  DEFAULT_WEBHOOK_PATH,
  DEFAULT_CREATED_TOLERANCE_SECONDS,
  DEFAULT_POLL_INTERVAL_MINUTES,
  DEFAULT_POLL_LEASE_TTL_MS,
  DEFAULT_POLL_OVERLAP_SECONDS,
  DEFAULT_STATE_PATH,
  DEFAULT_NOTIFY_MAX_RETRIES,
  DEFAULT_NOTIFY_RETRY_UNIT_MS,
  DEFAULT_NOTIFY_TIMEOUT_MS,
  ECWID_ELEMENT_KEY,
  ECWID_MAX_PAGE_SIZE,
} from '../ecwid.constants';
import { EcwidConfigError, EcwidConfigProblem } from './ecwid-config.error';
import { EcwidConfigField, EcwidConfigSchema } from './ecwid-config.schema';
import { CANONICAL_PATHS, Coercion, FIELDS, KNOWN_INSTANCE_KEYS } from './ecwid-config.fields';
import type { EcwidModuleOptions } from './ecwid-options.interface';
import type { EcwidStateStoreOptions } from '../state/ecwid-state-store.factory';
import type { EcwidStateStore } from '../state/ecwid-state-store.interface';
import type { EcwidEventVendorType, EcwidResolvedConfig } from './ecwid-resolved-config';
import { isPlainObject, withRedactedView } from './ecwid-config.view';
import { misspeltOptions } from './ecwid-option-names';
import { EcwidSecret } from './ecwid-secret';

/**
 * Options built from another source (environment variables, say) carry the names the user wrote
 * under this symbol, so that a configuration error names `ECWID_STORE_ID` rather than `storeId`.
 */
export const ECWID_OPTION_KEYS = Symbol.for('nestjs-ecwid.option-keys');

/**
 * Problems found while the options were built (an unreadable instance file, say), carried to the resolver under this
 * symbol so they are reported with every other problem in one error instead of alone and first.
 */
export const ECWID_OPTION_PROBLEMS = Symbol.for('nestjs-ecwid.option-problems');

/**
 * The values read from the sources named under ECWID_OPTION_KEYS, each held as a secret. A name is used only while
 * the option still holds that value: a copy that sets the option itself (`{ ...fromEnv, storeId: -1 }`) has its
 * problems reported under the option's own key, not a variable that was never set.
 */
export const ECWID_OPTION_VALUES = Symbol.for('nestjs-ecwid.option-values');

type EcwidDeclaredField = EcwidConfigField | 'pollingStartFrom' | 'state';

const DECLARED_PATHS: Record<string, string[]> = {
  ...Object.fromEntries(FIELDS.flatMap((f) => (f.path ? [[f.field, f.path]] : []))),
  pollingStartFrom: ['polling', 'startFrom'],
  state: ['state'],
};

/** The names the options carry for their settings, for those that still hold the value read under that name. */
function declaredNames(options: EcwidModuleOptions): Partial<Record<EcwidDeclaredField, string>> {
  const carried = options as Record<symbol, unknown>;
  const names = (carried[ECWID_OPTION_KEYS] ?? {}) as Partial<Record<EcwidDeclaredField, string>>;
  const values = carried[ECWID_OPTION_VALUES] as Partial<Record<EcwidDeclaredField, EcwidSecret<unknown>>> | undefined;
  if (values === undefined) return names;
  return Object.fromEntries(
    Object.entries(names).filter(([field]) => {
      const read = values[field as EcwidDeclaredField];
      const path = DECLARED_PATHS[field];
      return read === undefined || path === undefined || pick(options, path) === read.reveal();
    }),
  );
}

/**
 * A switch as an instance JSON or an environment variable gives it: a boolean, or "true" / "false" in any case.
 * Anything else is undefined, for the resolver to report; the module's route switches read it the same way.
 */
export function readBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const lower = value.trim().toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

/** Option groups read through the field table. */
const OPTION_GROUPS = ['http', 'webhooks', 'polling', 'notifications', 'legacy', 'ion', 'element'] as const;
const DEDUP_STORE_METHODS = ['claim', 'complete', 'release'];
/** What the module calls on a state store of the host's (`close` stays the host's to call). */
const STATE_STORE_METHODS = [
  ...DEDUP_STORE_METHODS,
  'getCursor',
  'setCursor',
  'getSnapshots',
  'putSnapshots',
  'deleteSnapshots',
  'acquireLease',
  'releaseLease',
  'putRecords',
  'listRecords',
  'deleteRecords',
  'increment',
];

/** Kinds of constraint that say what a value must be; reported before a range, which means little for a wrong type. */
const TYPE_CONSTRAINT = /^is/;

/** The message that best explains a failed property: its type constraint if that failed, else the first. */
function firstMessage(constraints: Record<string, string> | undefined): string | undefined {
  const entries = Object.entries(constraints ?? {});
  return (entries.find(([name]) => TYPE_CONSTRAINT.test(name)) ?? entries[0])?.[1];
}

const NUMERIC = /^\s*-?\d+(\.\d+)?\s*$/;

function pick(source: unknown, path: string[]): unknown {
  let value = source;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** An empty string or null says nothing, as everywhere in the options: it neither sets a value nor disagrees with one. */
function given(value: unknown): unknown {
  return value === '' || value === null ? undefined : value;
}

/** Whether a setting says anything: undefined, null and '' do not. */
export function isGiven(value: unknown): boolean {
  return given(value) !== undefined;
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
    case 'bool':
      return new Coerced(readBoolean(value) ?? value);
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

/**
 * A top-level `token` beside `element` is Cloud Elements' own element-instance token, as its instance API returns it:
 * taken for Ecwid's, it would switch the client from the legacy keys to v3 and send Ecwid another system's credential.
 * Ecwid's token is then `ecwid.api.token`, or `token` as read from a variable (`ECWID_TOKEN`).
 */
function cloudElementsToken(options: EcwidModuleOptions, tokenSource: string | undefined): unknown {
  return !isPlainObject(options.element) || tokenSource !== undefined ? undefined : given(options.token);
}

/** Options as a forRootAsync factory may return them, anything at all, so they are checked before any of it is read. */
export function isOptionsObject(value: unknown): value is EcwidModuleOptions {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** What a value is, for an error that must not show it (it may be a secret). */
function kindOf(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** Validates the options once, at boot; throws one EcwidConfigError naming every problem by the user's key. */
export function resolveEcwidConfig(options: EcwidModuleOptions): EcwidResolvedConfig {
  if (!isOptionsObject(options)) {
    throw new EcwidConfigError([{ key: 'options', message: `must be an object of Ecwid module options, not ${kindOf(options)}` }]);
  }
  const problems: EcwidConfigProblem[] = [
    ...((options as Record<symbol, EcwidConfigProblem[] | undefined>)[ECWID_OPTION_PROBLEMS] ?? []),
    ...misspeltOptions(options, CANONICAL_PATHS),
  ];
  const declaredKeys = declaredNames(options);
  const elementToken = cloudElementsToken(options, declaredKeys.token);
  const settings = elementToken === undefined ? options : { ...options, token: undefined };
  const configuration = options.configuration;
  const instance = configuration !== null && typeof configuration === 'object' && !Array.isArray(configuration) ? configuration : undefined;
  if (configuration !== undefined && !instance) {
    problems.push({ key: 'configuration', message: 'must be an object of Cloud Elements configuration keys' });
  }
  // A group that is not an object would have every setting in it read as absent, its defaults used unsaid.
  for (const group of OPTION_GROUPS) {
    const value = options[group];
    if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) problems.push({ key: group, message: 'must be an object' });
  }

  const schema = new EcwidConfigSchema();
  const keyOf = new Map<EcwidConfigField, string>();
  const reported = new Set<EcwidConfigField>();
  for (const spec of FIELDS) {
    const canonicalKey = spec.path?.join('.');
    const fromCanonical = spec.path ? coerce(given(pick(settings, spec.path)), spec.coerce) : new Coerced(undefined);
    const fromInstance = spec.instanceKey && instance ? coerce(given(instance[spec.instanceKey]), spec.coerce) : new Coerced(undefined);
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
    const message = firstMessage(error.constraints);
    if (field === 'storeId' && schema.storeId === undefined) {
      problems.push({ key: keyName(field), message: 'is required' });
    } else if (message) {
      problems.push({ key: keyName(field), message });
    }
  }
  const hasProblem = (field: EcwidConfigField) => problems.some((p) => p.key === keyName(field));

  // The base URL is held as a plain string that every copy of the config shows, and axios would send its user info as
  // Basic auth in place of the Bearer token; a query or fragment would end up before the request's own path.
  if (schema.apiBaseUrl !== undefined && !hasProblem('apiBaseUrl') && carriesMoreThanABase(schema.apiBaseUrl)) {
    problems.push({ key: keyName('apiBaseUrl'), message: 'must be a base URL without user info, query or fragment: the token goes in as a Bearer header' });
  }
  // The same for the legacy API, whose requests append their path and the Order API key to the base: a query or
  // fragment there would swallow both, and user info would go out as Basic auth.
  if (schema.legacyApiBaseUrl !== undefined && !hasProblem('legacyApiBaseUrl') && carriesMoreThanABase(schema.legacyApiBaseUrl)) {
    problems.push({
      key: keyName('legacyApiBaseUrl'),
      message: 'must be a base URL without user info, query or fragment: each request adds its own path and the Order API key',
    });
  }

  if (!schema.token && !schema.clientSecret && !schema.legacyOrderKey && !hasProblem('token') && !hasProblem('clientSecret')) {
    const notThatToken = elementToken === undefined ? '' : " (the top-level token is Cloud Elements' own, not Ecwid's)";
    problems.push({
      key: `${keyName('token')} | ${keyName('clientSecret')} | ${keyName('legacyOrderKey')}`,
      message: `at least one credential is required: the v3 API token, the app client secret, or the legacy Order API key${notThatToken}`,
    });
  }
  if (schema.webhooksEnabled === true && !schema.clientSecret) {
    problems.push({ key: keyName('webhooksEnabled'), message: `needs ${keyName('clientSecret')} to verify webhook signatures` });
  }
  if (schema.hydrate === true && !schema.token && !schema.legacyOrderKey) {
    problems.push({ key: keyName('hydrate'), message: `needs ${keyName('token')} or ${keyName('legacyOrderKey')} to read orders through the API` });
  }
  // ION is unsigned and confirmed only by reading the order back: without a way to read it every post would get 503.
  if (schema.ionEnabled === true && !schema.token && !schema.legacyOrderKey) {
    problems.push({ key: keyName('ionEnabled'), message: `needs ${keyName('token')} or ${keyName('legacyOrderKey')} to confirm each notification by reading the order` });
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
  const dedupTtlSeconds = schema.dedupTtlSeconds ?? DEFAULT_DEDUP_TTL_SECONDS;
  if (schema.maxEventAgeSeconds !== undefined && schema.maxEventAgeSeconds > dedupTtlSeconds && !hasProblem('dedupTtlSeconds')) {
    problems.push({
      key: keyName('maxEventAgeSeconds'),
      message: `must not exceed ${keyName('dedupTtlSeconds')} (${dedupTtlSeconds}): an event older than the dedup window could be replayed as new`,
    });
  }
  const poller = pollerSettings(schema.pollerConfiguration, keyName('pollerConfiguration'), problems);
  const now = typeof options.clock === 'function' ? options.clock() : Date.now();
  const startFrom = startFromSeconds(options.polling?.startFrom, declaredKeys.pollingStartFrom ?? 'polling.startFrom', now, problems);
  const pollingEnabled = schema.pollingEnabled ?? schema.vendorType === 'polling';
  if (pollingEnabled && !schema.token && !schema.legacyOrderKey) {
    problems.push({
      key: keyName('pollingEnabled'),
      message: `needs ${keyName('token')} or ${keyName('legacyOrderKey')} to read orders through the API`,
    });
  }
  const state = options.state;
  problems.push(...stateProblems(state, declaredKeys.state));
  if (options.dedupStore !== undefined) {
    const missing = missingMethods(options.dedupStore, DEDUP_STORE_METHODS);
    if (missing.length > 0) problems.push({ key: 'dedupStore', message: `must implement ${missing.join(', ')} (an EcwidDedupStore)` });
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    problems.push({ key: 'clock', message: 'must be a function returning the time in milliseconds' });
  }
  if (problems.length > 0) throw new EcwidConfigError(problems);

  const secret = (value?: string) => (value ? new EcwidSecret(value) : undefined);
  const unrecognized = instance ? Object.entries(instance).filter(([key]) => !KNOWN_INSTANCE_KEYS.has(key)) : [];
  const webhooksPath = (schema.webhooksPath ?? DEFAULT_WEBHOOK_PATH).replace(/^\/+|\/+$/g, '');
  return withRedactedView({
    storeId: schema.storeId as number,
    token: secret(schema.token),
    clientSecret: secret(schema.clientSecret),
    apiBaseUrl: (schema.apiBaseUrl ?? DEFAULT_API_BASE_URL).replace(/\/+$/, ''),
    hydrate: schema.hydrate ?? false,
    hydrateTimeoutMs: schema.hydrateTimeoutMs ?? DEFAULT_HYDRATE_TIMEOUT_MS,
    http: {
      timeoutMs: schema.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRetries: schema.maxRetries ?? DEFAULT_MAX_RETRIES,
      retryBaseDelayMs: schema.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS,
      retryMaxDelayMs: schema.retryMaxDelayMs ?? Math.max(DEFAULT_RETRY_MAX_DELAY_MS, schema.retryBaseDelayMs ?? 0),
      requestsPerMinute: schema.requestsPerMinute ?? DEFAULT_REQUESTS_PER_MINUTE,
      rateLimitWindowMs: schema.rateLimitWindowMs ?? 60_000,
    },
    webhooks: {
      enabled: schema.webhooksEnabled ?? schema.clientSecret !== undefined,
      path: webhooksPath,
      maxBodyBytes: schema.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES,
      dedupTtlSeconds,
      maxEventAgeSeconds: schema.maxEventAgeSeconds ?? dedupTtlSeconds,
      dedupMaxEntries: schema.dedupMaxEntries ?? DEFAULT_DEDUP_MAX_ENTRIES,
    },
    instance: {
      elementKey: schema.elementKey ?? ECWID_ELEMENT_KEY,
      name: schema.instanceName,
      tags: schema.tags ?? [],
      oauthApiKey: schema.oauthApiKey,
      oauthCallbackUrl: schema.oauthCallbackUrl,
      elementToken: elementToken === undefined ? undefined : new EcwidSecret(elementToken),
      unrecognizedKeys: unrecognized.map(([key]) => key),
      unrecognized: Object.fromEntries(unrecognized.map(([key, value]) => [key, new EcwidSecret(value)])),
    },
    legacy: {
      orderKey: secret(schema.legacyOrderKey),
      productKey: secret(schema.legacyProductKey),
      apiBaseUrl: schema.legacyApiBaseUrl?.replace(/\/+$/, ''),
    },
    events: {
      notificationEnabled: schema.notificationEnabled ?? false,
      vendorType: schema.vendorType === undefined ? undefined : (schema.vendorType.replace(/s$/, '') as EcwidEventVendorType),
      callbackUrl: schema.callbackUrl,
      signatureKey: secret(schema.signatureKey),
      pollerRefreshIntervalMinutes: schema.pollerRefreshIntervalMinutes,
      pollerConfiguration: schema.pollerConfiguration,
    },
    polling: {
      enabled: pollingEnabled,
      autoStart: schema.pollAutoStart ?? true,
      intervalMs: Math.round((schema.pollerRefreshIntervalMinutes ?? DEFAULT_POLL_INTERVAL_MINUTES) * 60_000),
      overlapSeconds: schema.pollOverlapSeconds ?? poller.pollDelay ?? DEFAULT_POLL_OVERLAP_SECONDS,
      createdToleranceSeconds: schema.pollCreatedToleranceSeconds ?? poller.createdCheckTolerance ?? DEFAULT_CREATED_TOLERANCE_SECONDS,
      pageSize: schema.pollPageSize ?? poller.pageSize ?? ECWID_MAX_PAGE_SIZE,
      startFrom,
      leaseTtlMs: schema.pollLeaseTtlMs ?? DEFAULT_POLL_LEASE_TTL_MS,
    },
    // Cursors and the outbox must outlive the process, so polling or notifications default to a file.
    state: resolvedState(state, schema.dedupMaxEntries ?? DEFAULT_DEDUP_MAX_ENTRIES, pollingEnabled || schema.notificationEnabled === true),
    notifications: {
      maxRetries: schema.notifyMaxRetries ?? DEFAULT_NOTIFY_MAX_RETRIES,
      retryUnitMs: schema.notifyRetryUnitMs ?? DEFAULT_NOTIFY_RETRY_UNIT_MS,
      timeoutMs: schema.notifyTimeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS,
    },
    clock: options.clock ?? Date.now,
    dedupStore: options.dedupStore,
  });
}

function carriesMoreThanABase(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.username !== '' || parsed.password !== '' || parsed.search !== '' || parsed.hash !== '';
}

/**
 * A copy of the host's state options, so the redacted view defined on it does not change the host's object. A memory
 * store is bounded by `webhooks.dedupMaxEntries` unless it gives its own bound.
 */
function resolvedState(
  state: EcwidStateStoreOptions | EcwidStateStore | undefined,
  dedupMaxEntries: number,
  durable: boolean,
): EcwidStateStoreOptions | EcwidStateStore {
  if (state === undefined) return durable ? { type: 'sqlite', path: DEFAULT_STATE_PATH } : { type: 'memory', maxDedupEntries: dedupMaxEntries };
  if (isStateStore(state)) return state;
  if (state.type === 'memory') return { ...state, maxDedupEntries: state.maxDedupEntries ?? dedupMaxEntries };
  return { ...state };
}

/** An object with `claim` is taken for a store of the host's, as EcwidStateOwner takes it; the rest for options. */
function isStateStore(value: unknown): value is EcwidStateStore {
  return value !== null && typeof value === 'object' && 'claim' in value;
}

function missingMethods(value: unknown, methods: readonly string[]): string[] {
  const has = (name: string) => value !== null && typeof value === 'object' && typeof (value as Record<string, unknown>)[name] === 'function';
  return methods.filter((name) => !has(name));
}

function stateProblems(state: unknown, declaredKey: string | undefined): EcwidConfigProblem[] {
  const key = declaredKey ?? 'state';
  if (state === undefined) return [];
  if (isStateStore(state)) {
    const missing = missingMethods(state, STATE_STORE_METHODS);
    return missing.length > 0 ? [{ key, message: `must implement ${missing.join(', ')} (an EcwidStateStore)` }] : [];
  }
  const options = state as { type?: unknown; path?: unknown; maxDedupEntries?: unknown; redis?: unknown } | null;
  if (options === null || typeof options !== 'object' || !['memory', 'sqlite', 'redis'].includes(options.type as string)) {
    return [{ key, message: 'must be { type: "memory" | "sqlite" | "redis", ... } or an EcwidStateStore' }];
  }
  if (options.type === 'sqlite' && !options.path) return [{ key: declaredKey ?? 'state.path', message: 'is required for the sqlite state store' }];
  // Node's URL error carries the whole input, password included, and Nest prints it: refuse it here without echoing it.
  if (options.type === 'redis' && typeof options.redis === 'string' && !URL.canParse(options.redis)) {
    return [{ key: declaredKey ?? 'state.redis', message: 'is not a valid URL (escape reserved characters in the password)' }];
  }
  const max = options.maxDedupEntries;
  if (max !== undefined && (!Number.isInteger(max) || (max as number) < 1 || (max as number) > MAX_DEDUP_ENTRIES)) {
    return [{ key: 'state.maxDedupEntries', message: `must be a whole number from 1 to ${MAX_DEDUP_ENTRIES}` }];
  }
  return [];
}

interface PollerSettings {
  pageSize?: number;
  pollDelay?: number;
  createdCheckTolerance?: number;
}

/**
 * Applies the Cloud Elements poller JSON where it means something here; only the orders resource can be polled. Its
 * values are read as every other setting is, strings included, since Cloud Elements stores them as strings.
 */
function pollerSettings(json: Record<string, unknown> | undefined, key: string, problems: EcwidConfigProblem[]): PollerSettings {
  // Anything but an object is the schema's to report.
  if (json === undefined || json === null || typeof json !== 'object' || Array.isArray(json)) return {};
  for (const resource of Object.keys(json)) {
    if (resource !== 'orders') problems.push({ key, message: `resource "${resource}" cannot be polled: only "orders" is supported` });
  }
  const orders = json.orders as Record<string, unknown> | undefined;
  if (orders === undefined) return {};
  if (orders === null || typeof orders !== 'object' || Array.isArray(orders)) {
    problems.push({ key: `${key}.orders`, message: 'must be an object' });
    return {};
  }
  const setting = (name: string, kind: Coercion): unknown => coerce(given(orders[name]), kind).value;
  const number = (name: string, min: number, max = Infinity): number | undefined => {
    const value = setting(name, 'number');
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      problems.push({ key: `${key}.orders.${name}`, message: `must be a number from ${min}${max === Infinity ? ' up' : ` to ${max}`}` });
      return undefined;
    }
    return value;
  };
  const pageSize = number('pageSize', 1, ECWID_MAX_PAGE_SIZE);
  if (pageSize !== undefined && !Number.isInteger(pageSize)) problems.push({ key: `${key}.orders.pageSize`, message: 'must be a whole number' });
  if (orders.idField !== undefined && orders.idField !== 'id') {
    problems.push({ key: `${key}.orders.idField`, message: 'must be "id": Ecwid orders are keyed by their string id' });
  }
  if (orders.url !== undefined && (typeof orders.url !== 'string' || !/\/orders\/?$/.test(orders.url.split('?')[0]))) {
    problems.push({ key: `${key}.orders.url`, message: 'must point at the orders resource (a path ending in /orders)' });
  }
  const filterByUpdatedDate = setting('filterByUpdatedDate', 'bool');
  if (filterByUpdatedDate !== undefined && typeof filterByUpdatedDate !== 'boolean') {
    problems.push({ key: `${key}.orders.filterByUpdatedDate`, message: 'must be true or false' });
  } else if (filterByUpdatedDate === false) {
    problems.push({ key: `${key}.orders.filterByUpdatedDate`, message: 'must be true: changes are found by their updated date' });
  }
  // A fractional delay would make the cursor fractional, and Ecwid refuses a fractional updatedFrom (400).
  const pollDelay = number('pollDelay', 0);
  if (pollDelay !== undefined && !Number.isInteger(pollDelay)) problems.push({ key: `${key}.orders.pollDelay`, message: 'must be a whole number of seconds' });
  return { pageSize, pollDelay, createdCheckTolerance: number('createdCheckTolerance', 0) };
}

/**
 * How far ahead of the clock a poll start may be: a date-only ISO string is read as UTC midnight, up to 14 h ahead of
 * a host's own date, and clocks drift. Any further is a mistake (milliseconds where seconds are meant put it in the
 * year 50000), and the poller would see no change until then.
 */
const MAX_START_AHEAD_MS = 86_400_000;

function startFromSeconds(value: unknown, key: string, nowMs: number, problems: EcwidConfigProblem[]): number | undefined {
  if (value === undefined || value === null || value === '' || value === 'now') return undefined;
  const numeric = typeof value === 'number' || (typeof value === 'string' && NUMERIC.test(value));
  const ms =
    value instanceof Date ? value.getTime()
    : numeric ? Number(value) * 1000
    : typeof value === 'string' ? Date.parse(value)
    : NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    problems.push({ key, message: 'must be a Date, UNIX seconds, an ISO 8601 date or "now"' });
    return undefined;
  }
  if (ms > nowMs + MAX_START_AHEAD_MS) {
    const hint = numeric ? ': UNIX seconds are expected, not milliseconds' : '';
    problems.push({ key, message: `must not be more than a day in the future, or the poller sees no change until then${hint}` });
    return undefined;
  }
  return Math.floor(ms / 1000);
}

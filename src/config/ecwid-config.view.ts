import { inspect } from 'node:util';
import type { EcwidStateStoreOptions } from '../state/ecwid-state-store.factory';
import type { EcwidStateStore } from '../state/ecwid-state-store.interface';
import { CANONICAL_PATHS, EcwidFieldShown, FIELDS, OTHER_TOP_LEVEL_OPTIONS } from './ecwid-config.fields';
import type { EcwidModuleOptions } from './ecwid-options.interface';
import type { EcwidResolvedConfig } from './ecwid-resolved-config';
import { REDACTED } from './ecwid-secret';

/** Connection option names that hold a credential: ioredis's `password` and `sentinelPassword`, TLS keys. */
const CREDENTIAL_OPTION = /pass(word|phrase)|secret|token|^key$|^pfx$/i;

/**
 * A URL as it may be shown. A callback or Redis URL can carry a password in its user info or an API key in its
 * query, so both are replaced (every query value, since no rule tells which are keys). A string that is not a URL
 * is not shown at all.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return REDACTED;
  }
  const userInfo = parsed.username || parsed.password ? `${REDACTED}@` : '';
  const query = [...parsed.searchParams.keys()].map((name) => `${encodeURIComponent(name)}=${REDACTED}`).join('&');
  const authority = parsed.host ? `//${userInfo}${parsed.host}` : '';
  return `${parsed.protocol}${authority}${parsed.pathname}${query ? `?${query}` : ''}${parsed.hash ? `#${REDACTED}` : ''}`;
}

/**
 * A callback URL as it may be shown: its origin, and `/[redacted]` for anything after it, as the boot log shows it.
 * A hook URL's path is often its only secret (`https://hooks.zapier.com/hooks/catch/123/<token>/`).
 */
export function redactCallbackUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return REDACTED;
  }
  if (parsed.origin === 'null') return REDACTED;
  const more = parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '';
  return `${parsed.origin}${more ? `/${REDACTED}` : ''}`;
}

const optionalUrl = (url: string | undefined): string | undefined => (url === undefined ? undefined : redactUrl(url));

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Plain options copied with their credentials replaced; anything else (a client, a buffer) by its class name. */
function redactOptions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactOptions);
  if (!isPlainObject(value)) return value !== null && typeof value === 'object' ? value.constructor?.name : value;
  return Object.fromEntries(
    Object.entries(value).map(([name, field]) => [name, CREDENTIAL_OPTION.test(name) ? REDACTED : redactOptions(field)]),
  );
}

function stateView(state: EcwidStateStoreOptions | EcwidStateStore): unknown {
  if ('claim' in state) return state.constructor.name;
  if (state.type !== 'redis' || state.redis === undefined) return state;
  const { redis } = state;
  // A client's own class name is no help here: ioredis mixes EventEmitter's constructor into its prototype.
  const shown = typeof redis === 'string' ? redactUrl(redis) : isPlainObject(redis) ? redactOptions(redis) : 'ioredis client';
  return { ...state, redis: shown };
}

type Part<K extends keyof EcwidResolvedConfig> = EcwidResolvedConfig[K];

const instanceView = (instance: Part<'instance'>) => ({ ...instance, oauthCallbackUrl: optionalUrl(instance.oauthCallbackUrl) });
const legacyView = (legacy: Part<'legacy'>) => ({ ...legacy, apiBaseUrl: optionalUrl(legacy.apiBaseUrl) });
const eventsView = (events: Part<'events'>) => ({
  ...events,
  callbackUrl: events.callbackUrl === undefined ? undefined : redactCallbackUrl(events.callbackUrl),
});

/**
 * The configuration as it may be logged or serialized: secrets `[redacted]`, URLs without credentials, Redis
 * settings without passwords, store instances and clients by their class name.
 */
export function ecwidConfigView(config: EcwidResolvedConfig) {
  const { dedupStore, state, clock: _clock, ...rest } = config;
  return {
    ...rest,
    apiBaseUrl: redactUrl(rest.apiBaseUrl),
    instance: instanceView(rest.instance),
    legacy: legacyView(rest.legacy),
    events: eventsView(rest.events),
    state: stateView(state),
    dedupStore: dedupStore?.constructor.name,
  };
}

const SHOWN_AT_PATH = new Map(FIELDS.flatMap((f) => (f.path ? [[f.path.join('.'), f.shown ?? 'plain'] as const] : [])));
const SHOWN_AT_INSTANCE_KEY = new Map(FIELDS.flatMap((f) => (f.instanceKey ? [[f.instanceKey, f.shown ?? 'plain'] as const] : [])));
/** Top-level names the module reads, `element`, `name` and `tags` among them; any other is a Cloud Elements field. */
const KNOWN_TOP_LEVEL = new Set([...CANONICAL_PATHS.map(([name]) => name), ...OTHER_TOP_LEVEL_OPTIONS]);

function shownValue(value: unknown, shown: EcwidFieldShown): unknown {
  if (value === undefined || value === null || value === '' || shown === 'plain') return value;
  if (shown === 'secret' || typeof value !== 'string') return REDACTED;
  return shown === 'callbackUrl' ? redactCallbackUrl(value) : redactUrl(value);
}

/**
 * Options as given (by `ecwidOptionsFromEnv`, say), as they may be logged or serialized: credentials `[redacted]`, URLs
 * and Redis settings without theirs. An instance configuration key the module does not know may hold a credential of
 * some other system, so its value is not shown either; nor is a top-level field it does not know, as a Cloud Elements
 * instance JSON carries credentials there too (its own `token`, the OAuth grant code in `providerData`).
 */
export function ecwidOptionsView(options: EcwidModuleOptions): Record<string, unknown> {
  const group = (name: string, value: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(value).map(([inner, v]) => [inner, shownValue(v, SHOWN_AT_PATH.get(`${name}.${inner}`) ?? 'plain')]));
  const configuration = (value: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(value).map(([key, v]) => [key, shownValue(v, SHOWN_AT_INSTANCE_KEY.get(key) ?? 'secret')]));
  return Object.fromEntries(
    Object.entries(options).map(([name, value]): [string, unknown] => {
      if (!KNOWN_TOP_LEVEL.has(name)) return [name, shownValue(value, 'secret')];
      if (name === 'configuration' && isPlainObject(value)) return [name, configuration(value)];
      if (name === 'state' && value !== null && typeof value === 'object') return [name, stateView(value as EcwidStateStoreOptions)];
      if (name === 'dedupStore' && value !== null && typeof value === 'object') return [name, value.constructor?.name];
      if (isPlainObject(value)) return [name, group(name, value)];
      return [name, shownValue(value, SHOWN_AT_PATH.get(name) ?? 'plain')];
    }),
  );
}

/** Gives `JSON.stringify` and `util.inspect` of `target` the view instead; redefinable, as parts are shared by copies. */
export function showAs(target: object, view: () => unknown): void {
  const shown = { value: view, configurable: true };
  Object.defineProperties(target, { toJSON: shown, [inspect.custom]: shown });
}

/**
 * Makes `JSON.stringify` and `util.inspect` of the configuration object show only `ecwidConfigView`, and of each part
 * that holds a URL or connection settings only that part's view, since a part may be logged on its own.
 */
export function withRedactedView<T extends EcwidResolvedConfig>(config: T): T {
  showAs(config, () => ecwidConfigView(config));
  showAs(config.instance, () => instanceView(config.instance));
  showAs(config.legacy, () => legacyView(config.legacy));
  showAs(config.events, () => eventsView(config.events));
  // A store instance is the host's object and shows itself; options are the resolver's own copy.
  if (!('claim' in config.state)) showAs(config.state, () => stateView(config.state));
  return config;
}

import { registerAs } from '@nestjs/config';
import { readFileSync } from 'node:fs';
import type { EcwidConfigProblem } from './ecwid-config.error';
import { ECWID_OPTION_KEYS, ECWID_OPTION_PROBLEMS, ECWID_OPTION_VALUES } from './ecwid-config.resolver';
import type { EcwidConfigField } from './ecwid-config.schema';
import { ecwidOptionsView, showAs } from './ecwid-config.view';
import { EcwidSecret } from './ecwid-secret';
import type { EcwidInstanceJson, EcwidModuleOptions } from './ecwid-options.interface';
import { DEFAULT_STATE_PATH } from '../ecwid.constants';
import type { EcwidStateStoreOptions } from '../state/ecwid-state-store.factory';

/** Environment variables read by `ecwidOptionsFromEnv`, by the setting they fill. */
export const ECWID_ENV_VARIABLES = {
  storeId: 'ECWID_STORE_ID',
  token: 'ECWID_TOKEN',
  clientSecret: 'ECWID_CLIENT_SECRET',
  apiBaseUrl: 'ECWID_API_BASE_URL',
  hydrate: 'ECWID_HYDRATE',
  hydrateTimeoutMs: 'ECWID_HYDRATE_TIMEOUT_MS',
  timeoutMs: 'ECWID_TIMEOUT_MS',
  maxRetries: 'ECWID_MAX_RETRIES',
  requestsPerMinute: 'ECWID_REQUESTS_PER_MINUTE',
  maxBodyBytes: 'ECWID_WEBHOOK_MAX_BODY_BYTES',
  pollingEnabled: 'ECWID_POLLING',
  pollerRefreshIntervalMinutes: 'ECWID_POLL_INTERVAL_MINUTES',
  pollLeaseTtlMs: 'ECWID_POLL_LEASE_TTL_MS',
  pollingStartFrom: 'ECWID_POLL_FROM',
  state: 'ECWID_STATE',
  notificationEnabled: 'ECWID_NOTIFICATIONS',
  callbackUrl: 'ECWID_NOTIFICATION_CALLBACK_URL',
  signatureKey: 'ECWID_NOTIFICATION_SIGNATURE_KEY',
  legacyApiBaseUrl: 'ECWID_LEGACY_API_BASE_URL',
} as const satisfies Partial<Record<EcwidConfigField | 'pollingStartFrom' | 'state', string>>;

/** Key prefix for the Redis state store (several apps can share one Redis). */
export const ECWID_STATE_KEY_PREFIX = 'ECWID_STATE_KEY_PREFIX';

/** A Cloud Elements instance JSON, from a file or inline. */
export const ECWID_INSTANCE_FILE = 'ECWID_INSTANCE_FILE';
export const ECWID_INSTANCE_JSON = 'ECWID_INSTANCE_JSON';

/** `ConfigService` from @nestjs/config fits, and so does `process.env`. */
export type EcwidEnvSource = { get(key: string): unknown } | Record<string, string | undefined>;

function reader(source: EcwidEnvSource): (key: string) => string | undefined {
  return (key) => {
    const value = typeof source.get === 'function' ? (source as { get(key: string): unknown }).get(key) : (source as Record<string, unknown>)[key];
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
}

function readInstance(read: (key: string) => string | undefined, problems: EcwidConfigProblem[]): EcwidInstanceJson | undefined {
  const file = read(ECWID_INSTANCE_FILE);
  const inline = read(ECWID_INSTANCE_JSON);
  if (file === undefined && inline === undefined) return undefined;
  if (file !== undefined && inline !== undefined) {
    // Two instances, one of them silently unused: the one meant may be the other.
    problems.push({ key: `${ECWID_INSTANCE_FILE} | ${ECWID_INSTANCE_JSON}`, message: 'give the instance JSON one way, not both' });
    return undefined;
  }
  const key = file !== undefined ? ECWID_INSTANCE_FILE : ECWID_INSTANCE_JSON;
  let text = inline;
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      problems.push({ key, message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` });
      return undefined;
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text as string);
  } catch {
    parsed = undefined;
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as EcwidInstanceJson;
  problems.push({ key, message: 'must hold a Cloud Elements instance JSON object' });
  return undefined;
}

/** `memory`, `sqlite` or `sqlite:<path>`, or a `redis://` / `rediss://` URL. */
function stateFromEnv(
  value: string | undefined,
  keyPrefix: string | undefined,
  problems: EcwidConfigProblem[],
): EcwidStateStoreOptions | undefined {
  if (keyPrefix !== undefined && (value === undefined || !/^rediss?:\/\//.test(value))) {
    problems.push({ key: ECWID_STATE_KEY_PREFIX, message: 'applies only to a Redis state store: set ECWID_STATE to a redis:// URL too' });
  }
  if (value === undefined) return undefined;
  if (value === 'memory') return { type: 'memory' };
  if (value === 'sqlite') return { type: 'sqlite', path: DEFAULT_STATE_PATH };
  if (value.startsWith('sqlite:')) return { type: 'sqlite', path: value.slice('sqlite:'.length) };
  if (/^rediss?:\/\//.test(value)) return { type: 'redis', redis: value, keyPrefix };
  problems.push({ key: ECWID_ENV_VARIABLES.state, message: 'must be "memory", "sqlite", "sqlite:<path>" or a redis:// URL' });
  return undefined;
}

/**
 * Builds module options from environment variables (`ECWID_STORE_ID`, `ECWID_TOKEN`, `ECWID_CLIENT_SECRET`, ...)
 * and, when `ECWID_INSTANCE_FILE` or `ECWID_INSTANCE_JSON` is set, the Cloud Elements instance JSON.
 * Configuration errors then name the variables. Nothing is thrown here: a variable that cannot be used is reported
 * when the module resolves the options, in the one error that lists every problem. `JSON.stringify` and `util.inspect`
 * of the result show no credential.
 */
export function ecwidOptionsFromEnv(source: EcwidEnvSource = process.env): EcwidModuleOptions {
  const read = reader(source);
  const problems: EcwidConfigProblem[] = [];
  const instance = readInstance(read, problems) ?? {};
  const values: Partial<Record<keyof typeof ECWID_ENV_VARIABLES, EcwidSecret<unknown>>> = {};
  const fromEnv = (field: keyof typeof ECWID_ENV_VARIABLES): string | undefined => {
    const value = read(ECWID_ENV_VARIABLES[field]);
    values[field] = new EcwidSecret<unknown>(value);
    return value;
  };
  const state = stateFromEnv(read(ECWID_ENV_VARIABLES.state), read(ECWID_STATE_KEY_PREFIX), problems);
  values.state = new EcwidSecret<unknown>(state);
  const options: EcwidModuleOptions = {
    ...instance,
    storeId: fromEnv('storeId'),
    token: fromEnv('token'),
    clientSecret: fromEnv('clientSecret'),
    apiBaseUrl: fromEnv('apiBaseUrl'),
    hydrate: fromEnv('hydrate') as unknown as boolean | undefined,
    hydrateTimeoutMs: fromEnv('hydrateTimeoutMs') as unknown as number | undefined,
    http: {
      timeoutMs: fromEnv('timeoutMs') as unknown as number | undefined,
      maxRetries: fromEnv('maxRetries') as unknown as number | undefined,
      requestsPerMinute: fromEnv('requestsPerMinute') as unknown as number | undefined,
    },
    webhooks: {
      maxBodyBytes: fromEnv('maxBodyBytes') as unknown as number | undefined,
    },
    polling: {
      enabled: fromEnv('pollingEnabled') as unknown as boolean | undefined,
      intervalMinutes: fromEnv('pollerRefreshIntervalMinutes') as unknown as number | undefined,
      leaseTtlMs: fromEnv('pollLeaseTtlMs') as unknown as number | undefined,
      startFrom: fromEnv('pollingStartFrom'),
    },
    notifications: {
      enabled: fromEnv('notificationEnabled') as unknown as boolean | undefined,
      callbackUrl: fromEnv('callbackUrl'),
      signatureKey: fromEnv('signatureKey'),
    },
    legacy: { apiBaseUrl: fromEnv('legacyApiBaseUrl') },
    state,
  };
  // Enumerable, so a spread copy of the options (one that adds a setting, say) still carries the variables' names, the
  // values read under them (held as secrets) and the problems; a symbol key stays out of JSON.
  Object.defineProperty(options, ECWID_OPTION_KEYS, { value: { ...ECWID_ENV_VARIABLES }, enumerable: true });
  Object.defineProperty(options, ECWID_OPTION_VALUES, { value: values, enumerable: true });
  if (problems.length > 0) Object.defineProperty(options, ECWID_OPTION_PROBLEMS, { value: problems, enumerable: true });
  // Options read from the environment are often logged whole to check them; a spread copy keeps the real values.
  showAs(options, () => ecwidOptionsView(options));
  return options;
}

/** Namespaced config for `ConfigModule.forFeature(ecwidConfig)`; inject `ecwidConfig.KEY` into forRootAsync. */
export const ecwidConfig = registerAs('ecwid', () => ecwidOptionsFromEnv(process.env));

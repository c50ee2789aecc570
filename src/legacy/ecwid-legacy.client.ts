import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { redactUrl } from '../config/ecwid-config.view';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import type { EcwidSecret } from '../config/ecwid-secret';
import { EcwidApiError, EcwidNotConfiguredError } from '../orders/ecwid-api.error';
import { EcwidAttemptFailure, EcwidConnection, ecwidErrorFields, reportableErrorCode } from '../orders/ecwid-axios';
import { EcwidRateLimiter, EcwidRateLimiterRegistry } from '../orders/ecwid-rate-limiter';
import { callWithRetries } from '../orders/ecwid-retry';

export type EcwidLegacyMethod = 'GET' | 'POST';

const KEY_PARAMETER = 'secure_auth_key';
/** Error bodies of the legacy API may be plain text pages; this much of one is enough to say what went wrong. */
const ERROR_TEXT_LIMIT = 200;
/** The path errors name: the query string is left out, as it carries the key. */
const ERROR_PATH = '/orders';

/** The legacy root beside the configured v3 one, so the sandbox, or a proxy, serves both. */
export function legacyApiBaseUrl(apiBaseUrl: string): string {
  const v3 = apiBaseUrl.replace(/\/+$/, '');
  if (!v3.endsWith('/api/v3')) {
    throw new EcwidNotConfiguredError(
      'The legacy API address is derived from apiBaseUrl, which must then end in /api/v3; or set legacy.apiBaseUrl (ecwid.legacy.api.base.url, ECWID_LEGACY_API_BASE_URL)',
    );
  }
  return `${v3.slice(0, -'/api/v3'.length)}/api/v1`;
}


/**
 * Talks to `{legacy root}/{storeId}/orders` with the Order API key in the query, as the legacy API demands.
 * The key is revealed only while a request is built; errors name the path without the query and never echo it.
 */
export class EcwidLegacyClient {
  readonly #key: EcwidSecret;
  private readonly ordersUrl: string;
  private readonly connection: EcwidConnection;
  private readonly limiter: EcwidRateLimiter;
  private readonly settings: EcwidResolvedConfig['http'];

  constructor(config: EcwidResolvedConfig, key: EcwidSecret) {
    this.#key = key;
    this.settings = config.http;
    this.ordersUrl = `${config.legacy.apiBaseUrl ?? legacyApiBaseUrl(config.apiBaseUrl)}/${config.storeId}/orders`;
    this.connection = new EcwidConnection(config.http.timeoutMs);
    const limiterKey = createHash('sha256').update(`legacy:${key.reveal()}`).digest('hex');
    this.limiter = EcwidRateLimiterRegistry.for(limiterKey, config.http.requestsPerMinute, config.http.rateLimitWindowMs);
  }

  /** The orders endpoint with these filters; a POST sets the `new_*` values on every order they select. */
  request<T>(method: EcwidLegacyMethod, filters: URLSearchParams, signal?: AbortSignal): Promise<T> {
    return callWithRetries<T>({
      limiter: this.limiter,
      http: this.settings,
      // Every legacy call here reads, or sets statuses to given values: each is safe to repeat.
      idempotent: true,
      attempt: (cut) => this.attempt<T>(method, filters, cut),
      toError: (failure, attempts) => this.toError(method, failure, attempts),
      stopping: this.connection.stopped,
      signal,
    });
  }

  /** See EcwidConnection.serverTime. */
  get serverTime(): number | undefined {
    return this.connection.serverTime;
  }

  /** As EcwidHttpClient's, for the legacy key's limiter. */
  get requestsPerWindow(): number {
    return this.limiter.limit;
  }

  /** As EcwidHttpClient's: a failed call no longer retries once shutdown has begun. */
  stop(): void {
    this.connection.stop();
  }

  close(): void {
    this.connection.close();
  }

  private attempt<T>(
    method: EcwidLegacyMethod,
    filters: URLSearchParams,
    signal?: AbortSignal,
  ): Promise<EcwidAttemptFailure | { value: T }> {
    const params = new URLSearchParams(filters);
    params.set(KEY_PARAMETER, this.#key.reveal());
    return this.connection.attempt<T>({ method, url: this.ordersUrl, params }, signal);
  }

  private toError(method: EcwidLegacyMethod, failure: EcwidAttemptFailure, attempts: number): EcwidApiError {
    const { errorCode, errorMessage } = ecwidErrorFields(failure.body);
    const text = errorMessage ?? (typeof failure.body === 'string' ? failure.body : undefined);
    return new EcwidApiError({
      method,
      path: ERROR_PATH,
      failure: failure.kind,
      status: failure.status,
      errorCode: reportableErrorCode(errorCode),
      errorMessage: failure.kind === 'http' ? this.redact(text)?.trim().slice(0, ERROR_TEXT_LIMIT) : failure.code,
      retryAfterSeconds: failure.retryAfter,
      attempts,
    });
  }

  /** Shows the endpoint without its key and nothing of the connection, whose sockets hold the last URL, key included. */
  toJSON(): { ordersUrl: string } {
    return { ordersUrl: redactUrl(this.ordersUrl) };
  }

  [inspect.custom](): unknown {
    return this.toJSON();
  }

  /** A legacy error page may quote the request URL, key included: raw, percent-encoded or form-encoded. */
  private redact(text: string | undefined): string | undefined {
    if (!text) return text;
    const key = this.#key.reveal();
    const formEncoded = new URLSearchParams({ [KEY_PARAMETER]: key }).toString().slice(KEY_PARAMETER.length + 1);
    const spellings = [key, encodeURIComponent(key), formEncoded];
    return spellings.reduce((redacted, spelling) => redacted.split(spelling).join('[redacted]'), text);
  }
}

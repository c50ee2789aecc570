import { AxiosInstance, isAxiosError } from 'axios';
import { createHash } from 'node:crypto';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import type { EcwidSecret } from '../config/ecwid-secret';
import { EcwidApiError, EcwidApiFailure, EcwidNotConfiguredError } from '../orders/ecwid-api.error';
import { createEcwidAxios } from '../orders/ecwid-axios';
import { EcwidRateLimiter, EcwidRateLimiterRegistry } from '../orders/ecwid-rate-limiter';
import { backoffMs, retryAfterSeconds, sleep, TRANSIENT_CODES } from '../orders/ecwid-retry';

export type EcwidLegacyMethod = 'GET' | 'POST';

const KEY_PARAMETER = 'secure_auth_key';
/** Error bodies of the legacy API may be plain text pages; this much of one is enough to say what went wrong. */
const ERROR_TEXT_LIMIT = 200;
/** The path errors name: the query string is left out, as it carries the key. */
const ERROR_PATH = '/orders';

interface Failure {
  kind: EcwidApiFailure;
  code?: string;
  status?: number;
  body?: unknown;
  retryAfter?: number;
}

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
  private readonly axios: AxiosInstance;
  private readonly limiter: EcwidRateLimiter;
  private readonly settings: EcwidResolvedConfig['http'];

  constructor(config: EcwidResolvedConfig, key: EcwidSecret) {
    this.#key = key;
    this.settings = config.http;
    this.ordersUrl = `${config.legacy.apiBaseUrl ?? legacyApiBaseUrl(config.apiBaseUrl)}/${config.storeId}/orders`;
    this.axios = createEcwidAxios(config);
    const limiterKey = createHash('sha256').update(`legacy:${key.reveal()}`).digest('hex');
    this.limiter = EcwidRateLimiterRegistry.for(limiterKey, config.http.requestsPerMinute, config.http.rateLimitWindowMs);
  }

  /** The orders endpoint with these filters; a POST sets the `new_*` values on every order they select. */
  async request<T>(method: EcwidLegacyMethod, filters: URLSearchParams): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await this.limiter.acquire();
      const outcome = await this.attempt(method, filters);
      if ('data' in outcome) return outcome.data as T;
      const failure = outcome;
      if (failure.status === 429) this.limiter.pause(Date.now() + (failure.retryAfter ?? 1) * 1000);
      const retryable =
        failure.kind === 'http'
          ? failure.status === 429 || (failure.status! >= 500 && failure.status !== 501)
          : // Every legacy call here reads, or sets statuses to given values: each is safe to repeat.
            failure.kind === 'timeout' || TRANSIENT_CODES.has(failure.code ?? '');
      if (!retryable || attempt > this.settings.maxRetries) throw this.toError(method, failure, attempt);
      if (failure.status !== 429) await sleep(backoffMs(attempt, this.settings));
    }
  }

  /** Follows a page's `nextUrl` by its filters alone, so the key is only ever sent to the configured endpoint. */
  next<T>(nextUrl: string): Promise<T> {
    const filters = new URL(nextUrl, this.ordersUrl).searchParams;
    filters.delete(KEY_PARAMETER);
    return this.request<T>('GET', filters);
  }

  private async attempt(method: EcwidLegacyMethod, filters: URLSearchParams): Promise<Failure | { data: unknown }> {
    const params = new URLSearchParams(filters);
    params.set(KEY_PARAMETER, this.#key.reveal());
    try {
      const res = await this.axios.request({ method, url: this.ordersUrl, params });
      if (res.status >= 200 && res.status < 300) return { data: res.data };
      return { kind: 'http', status: res.status, body: res.data, retryAfter: retryAfterSeconds(res.headers['retry-after']) };
    } catch (error) {
      const code = isAxiosError(error) ? error.code : undefined;
      const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
      return { kind: timedOut ? 'timeout' : 'network', code: code ?? (error as Error).name };
    }
  }

  private toError(method: EcwidLegacyMethod, failure: Failure, attempts: number): EcwidApiError {
    const body = failure.body !== null && typeof failure.body === 'object' ? (failure.body as Record<string, unknown>) : {};
    const text = typeof body.errorMessage === 'string' ? body.errorMessage : typeof failure.body === 'string' ? failure.body : undefined;
    return new EcwidApiError({
      method,
      path: ERROR_PATH,
      failure: failure.kind,
      status: failure.status,
      errorCode: typeof body.errorCode === 'string' ? body.errorCode : undefined,
      errorMessage: failure.kind === 'http' ? this.redact(text)?.trim().slice(0, ERROR_TEXT_LIMIT) : failure.code,
      retryAfterSeconds: failure.retryAfter,
      attempts,
    });
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

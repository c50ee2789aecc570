import { AxiosInstance, isAxiosError } from 'axios';
import { createHash } from 'node:crypto';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { createEcwidAxios } from './ecwid-axios';
import { EcwidApiError, EcwidApiFailure, EcwidNotConfiguredError } from './ecwid-api.error';
import { EcwidRateLimiter, EcwidRateLimiterRegistry } from './ecwid-rate-limiter';
import { backoffMs, NEVER_SENT_CODES, retryAfterSeconds, sleep, TRANSIENT_CODES } from './ecwid-retry';

export type EcwidQueryValue = string | number | boolean | undefined;

export interface EcwidRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below the store root, e.g. `/orders`. */
  path: string;
  query?: Record<string, EcwidQueryValue>;
  body?: unknown;
}


/**
 * The one place that talks HTTP to Ecwid: Bearer auth, timeouts, the per-token limiter,
 * and capped exponential backoff with full jitter on 429, 5xx and network errors.
 */
export class EcwidHttpClient {
  private readonly axios: AxiosInstance;
  private readonly limiter: EcwidRateLimiter;
  /** A private field, so `inspect(client)` cannot show it. */
  readonly #token?: string;

  constructor(private readonly config: EcwidResolvedConfig) {
    this.#token = config.token?.reveal();
    this.axios = createEcwidAxios(config, `${config.apiBaseUrl}/${config.storeId}`);
    const limiterKey = createHash('sha256').update(this.#token ?? `store:${config.storeId}`).digest('hex');
    this.limiter = EcwidRateLimiterRegistry.for(limiterKey, config.http.requestsPerMinute, config.http.rateLimitWindowMs);
  }

  async request<T>(req: EcwidRequest): Promise<T> {
    if (!this.#token) {
      throw new EcwidNotConfiguredError(
        `Ecwid API ${req.method} ${req.path} needs a REST API v3 token (option "token", instance key "ecwid.api.token", env ECWID_TOKEN)`,
      );
    }
    const idempotent = req.method !== 'POST';
    const { maxRetries } = this.config.http;
    for (let attempt = 1; ; attempt++) {
      await this.limiter.acquire();
      let failure: { kind: EcwidApiFailure; code?: string; status?: number; body?: unknown; retryAfter?: number };
      try {
        const res = await this.axios.request({
          method: req.method,
          url: req.path,
          params: req.query,
          data: req.body,
          headers: {
            Authorization: `Bearer ${this.#token}`,
            ...(req.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          },
        });
        if (res.status >= 200 && res.status < 300) return res.data as T;
        failure = { kind: 'http', status: res.status, body: res.data, retryAfter: retryAfterSeconds(res.headers['retry-after']) };
      } catch (error) {
        const code = isAxiosError(error) ? error.code : undefined;
        const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
        failure = { kind: timedOut ? 'timeout' : 'network', code: code ?? (error as Error).name };
      }

      const retryable =
        failure.kind === 'http'
          ? failure.status === 429 || (idempotent && failure.status! >= 500 && failure.status !== 501)
          : idempotent ? TRANSIENT_CODES.has(failure.code ?? '') || failure.kind === 'timeout' : NEVER_SENT_CODES.has(failure.code ?? '');
      if (failure.status === 429) {
        const waitSeconds = failure.retryAfter ?? 1;
        this.limiter.pause(Date.now() + waitSeconds * 1000);
      }
      if (!retryable || attempt > maxRetries) throw this.toError(req, failure, attempt);
      if (failure.status !== 429) {
        // A 5xx may say when to come back (a 503 in maintenance, say). Longer than the backoff's cap, and the call
        // fails now with `retryAfterSeconds` on the error, rather than hold its caller that long.
        const hinted = failure.retryAfter;
        if (hinted !== undefined && hinted * 1000 > this.config.http.retryMaxDelayMs) throw this.toError(req, failure, attempt);
        await sleep(hinted !== undefined ? hinted * 1000 : backoffMs(attempt, this.config.http));
      }
    }
  }

  private toError(
    req: EcwidRequest,
    failure: { kind: EcwidApiFailure; code?: string; status?: number; body?: unknown; retryAfter?: number },
    attempts: number,
  ): EcwidApiError {
    const body = failure.body !== null && typeof failure.body === 'object' ? (failure.body as Record<string, unknown>) : {};
    const message = typeof body.errorMessage === 'string' ? body.errorMessage : undefined;
    return new EcwidApiError({
      method: req.method,
      path: req.path,
      failure: failure.kind,
      status: failure.status,
      errorCode: typeof body.errorCode === 'string' ? body.errorCode : undefined,
      errorMessage: failure.kind === 'http' ? this.redact(message) : failure.code,
      retryAfterSeconds: failure.retryAfter,
      attempts,
    });
  }

  /** Ecwid has no reason to echo the token, but an error message is no place to trust that. */
  private redact(text?: string): string | undefined {
    return text && this.#token ? text.split(this.#token).join('[redacted]') : text;
  }
}

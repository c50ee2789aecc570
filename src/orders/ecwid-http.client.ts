import type { BeforeApplicationShutdown, OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { redactUrl } from '../config/ecwid-config.view';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { EcwidAttemptFailure, EcwidConnection, ecwidErrorFields, reportableErrorCode } from './ecwid-axios';
import { EcwidApiError, EcwidNotConfiguredError } from './ecwid-api.error';
import { EcwidRateLimiter, EcwidRateLimiterRegistry } from './ecwid-rate-limiter';
import { callWithRetries } from './ecwid-retry';

export type EcwidQueryValue = string | number | boolean | undefined;

export interface EcwidRequest<T> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below the store root, e.g. `/orders`. */
  path: string;
  query?: Record<string, EcwidQueryValue>;
  body?: unknown;
  /**
   * The answer when a retry finds the order gone (404 `ORDER_NOT_FOUND`) after an attempt whose answer was lost: that
   * attempt most likely did the work. For DELETE; without it, such a 404 throws.
   */
  ifAlreadyGone?: T;
  /** The caller's (see EcwidCallOptions). */
  signal?: AbortSignal;
}

/** What every call of EcwidOrdersService takes besides its own arguments. */
export interface EcwidCallOptions {
  /**
   * Ends the call once aborted, with the signal's reason (an `AbortError`, or a `TimeoutError` from
   * `AbortSignal.timeout(ms)`, which bounds the whole call: the wait for the rate limiter, every attempt and every
   * backoff). A request already sent is cut off, so a create or update aborted then may or may not have happened.
   * Each call adds one listener to it while it runs.
   */
  signal?: AbortSignal;
}

/**
 * Ecwid's 404 for a missing order. Older answers carry only `errorMessage`, so a JSON error without a code still means
 * the order; a 404 without Ecwid's body (a proxy's HTML page, a wrong apiBaseUrl) does not.
 */
export function isOrderNotFound(answer: { status?: number; errorCode?: string; errorMessage?: string }): boolean {
  if (answer.status !== 404) return false;
  return answer.errorCode === undefined ? answer.errorMessage !== undefined : answer.errorCode === 'ORDER_NOT_FOUND';
}


/**
 * The one place that talks HTTP to Ecwid: Bearer auth, timeouts, the per-token limiter,
 * and capped exponential backoff with full jitter on 429, 5xx and network errors.
 */
export class EcwidHttpClient implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly connection: EcwidConnection;
  private readonly limiter: EcwidRateLimiter;
  /** A private field, so `inspect(client)` cannot show it. */
  readonly #token?: string;

  constructor(private readonly config: EcwidResolvedConfig) {
    this.#token = config.token?.reveal();
    this.connection = new EcwidConnection(config.http.timeoutMs, `${config.apiBaseUrl}/${config.storeId}`);
    const limiterKey = createHash('sha256').update(this.#token ?? `store:${config.storeId}`).digest('hex');
    this.limiter = EcwidRateLimiterRegistry.for(limiterKey, config.http.requestsPerMinute, config.http.rateLimitWindowMs);
  }

  /** See EcwidConnection.serverTime. */
  get serverTime(): number | undefined {
    return this.connection.serverTime;
  }

  /** What the token's limiter allows per window now: the smallest limit of the modules sharing the token. */
  get requestsPerWindow(): number {
    return this.limiter.limit;
  }

  async request<T>(req: EcwidRequest<T>): Promise<T> {
    if (!this.#token) {
      throw new EcwidNotConfiguredError(
        `Ecwid API ${req.method} ${req.path} needs a REST API v3 token (option "token", instance key "ecwid.api.token", env ECWID_TOKEN)`,
      );
    }
    const token = this.#token;
    return callWithRetries<T>({
      limiter: this.limiter,
      http: this.config.http,
      idempotent: req.method !== 'POST',
      attempt: (cut) =>
        this.connection.attempt<T>(
          {
            method: req.method,
            url: req.path,
            params: req.query,
            data: req.body,
            headers: {
              Authorization: `Bearer ${token}`,
              ...(req.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
            },
          },
          cut,
        ),
      settle: (failure, afterUnknownOutcome) =>
        req.ifAlreadyGone !== undefined && afterUnknownOutcome && isOrderNotFound({ ...failure, ...ecwidErrorFields(failure.body) }) ? { value: req.ifAlreadyGone } : undefined,
      toError: (failure, attempts) => this.toError(req, failure, attempts),
      stopping: this.connection.stopped,
      signal: req.signal,
    });
  }

  /**
   * Shutdown waits for the poller's cycle, and a cycle may be in a retry's backoff while Ecwid is down: from now on a
   * failed call throws at once instead of retrying. Attempts under way run to their end (at most `timeoutMs`).
   */
  beforeApplicationShutdown(): void {
    this.connection.stop();
  }

  onApplicationShutdown(): void {
    this.connection.close();
  }

  /** Shows the store and nothing of the connection: its sockets hold the last request's headers, token included. */
  toJSON(): { storeId: number; apiBaseUrl: string } {
    return { storeId: this.config.storeId, apiBaseUrl: redactUrl(this.config.apiBaseUrl) };
  }

  [inspect.custom](): unknown {
    return this.toJSON();
  }

  private toError(req: EcwidRequest<unknown>, failure: EcwidAttemptFailure, attempts: number): EcwidApiError {
    const { errorCode, errorMessage } = ecwidErrorFields(failure.body);
    return new EcwidApiError({
      method: req.method,
      path: req.path,
      failure: failure.kind,
      status: failure.status,
      errorCode: reportableErrorCode(errorCode),
      errorMessage: failure.kind === 'http' ? this.redact(errorMessage) : failure.code,
      retryAfterSeconds: failure.retryAfter,
      attempts,
    });
  }

  /** Ecwid has no reason to echo the token, but an error message is no place to trust that. */
  private redact(text?: string): string | undefined {
    return text && this.#token ? text.split(this.#token).join('[redacted]') : text;
  }
}

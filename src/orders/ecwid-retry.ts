import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import type { EcwidAttemptFailure } from './ecwid-axios';
import { EcwidRateLimiter, EcwidRateLimitRefusal, EcwidRateLimitStopped } from './ecwid-rate-limiter';
import { sleep } from './ecwid-sleep';

/** Only a connection that was never made is safe to retry for a call that is not idempotent. */
export const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
/** Network failures worth another attempt of a call that is safe to repeat. */
export const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_SOCKET_CONNECTION_TIMEOUT', ...NEVER_SENT_CODES]);

/**
 * `Retry-After` in seconds or as an HTTP date. A date is read against the answer's own `Date` when it has one: the
 * sender's clock, not this host's, says how far off it is (a host a few minutes ahead would retry at once, one
 * behind would take a short wait for a long block).
 */
export function retryAfterSeconds(header: unknown, answeredAt?: unknown): number | undefined {
  if (typeof header !== 'string' || header === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  const now = typeof answeredAt === 'string' ? Date.parse(answeredAt) : Number.NaN;
  return Math.max(0, (date - (Number.isNaN(now) ? Date.now() : now)) / 1000);
}

/** Capped exponential backoff with full jitter, so clients that failed together do not retry together. */
export function backoffMs(attempt: number, http: EcwidResolvedConfig['http']): number {
  return Math.random() * Math.min(http.retryMaxDelayMs, http.retryBaseDelayMs * 2 ** (attempt - 1));
}

/**
 * Whether another attempt may follow. A 429 always: Ecwid refused before doing anything. A 5xx (but 501), a timeout
 * or a transient network error only for a call that is safe to repeat; otherwise only a connection never made.
 */
function mayRetry(failure: EcwidAttemptFailure, idempotent: boolean): boolean {
  if (failure.kind === 'http') return failure.status === 429 || (idempotent && failure.status! >= 500 && failure.status !== 501);
  if (idempotent) return failure.kind === 'timeout' || TRANSIENT_CODES.has(failure.code ?? '');
  return NEVER_SENT_CODES.has(failure.code ?? '');
}

/** Whether the failed attempt may have reached Ecwid and done its work, with the answer lost on the way back. */
function outcomeUnknown(failure: EcwidAttemptFailure): boolean {
  if (failure.kind === 'http') return failure.status! >= 500;
  return failure.kind === 'timeout' || !NEVER_SENT_CODES.has(failure.code ?? '');
}

export interface EcwidRetryingCall<T> {
  limiter: EcwidRateLimiter;
  http: EcwidResolvedConfig['http'];
  /** Safe to repeat after an attempt whose outcome is unknown. */
  idempotent: boolean;
  /** One attempt: the value, or what went wrong; `cut`, when given, aborts once the caller's signal does. */
  attempt(cut?: AbortSignal): Promise<{ value: T } | EcwidAttemptFailure>;
  /** A failure that still answers the call, given whether an earlier attempt's outcome is unknown (a retried DELETE's 404). */
  settle?(failure: EcwidAttemptFailure, afterUnknownOutcome: boolean): { value: T } | undefined;
  toError(failure: EcwidAttemptFailure, attempts: number): Error;
  /** Aborted when the application shuts down: no retry starts after that, and a backoff under way ends at once. */
  stopping?: AbortSignal;
  /**
   * The caller's: once aborted, the call sends nothing more, leaves the rate limiter's queue or its backoff, cuts off
   * its request under way, and rejects with the signal's reason. It gets one listener per call.
   */
  signal?: AbortSignal;
}

/**
 * Ecwid's limit is per minute, so a 429 asking for up to a minute is the limit at work; a longer one means the token
 * is blocked (Ecwid blocks a token that keeps failing for longer).
 */
const RATE_LIMIT_MINUTE_MS = 60_000;

/**
 * Runs a call under the token's limiter with capped, jittered retries. `Retry-After` is honoured: after a 429 the
 * whole token waits. A wait longer than `retryMaxDelayMs` (for a 429: longer than that and a minute) fails the call at
 * once, with `retryAfterSeconds`, rather than hold its caller that long; calls that meet such a pause fail so, unsent.
 */
export async function callWithRetries<T>(call: EcwidRetryingCall<T>): Promise<T> {
  const { signal, stopping } = call;
  if (!signal) return retrying(call);
  signal.throwIfAborted();
  // `cut` is the caller's abort, for attempts, which shutdown lets finish; `waits` ends a wait on either. Both are
  // this call's own, so the caller's signal gets one listener however many attempts and waits the call makes.
  const cut = new AbortController();
  const waits = new AbortController();
  const cutShort = (): void => cut.abort();
  const endWaits = (): void => waits.abort();
  signal.addEventListener('abort', cutShort, { once: true });
  cut.signal.addEventListener('abort', endWaits, { once: true });
  stopping?.addEventListener('abort', endWaits, { once: true });
  if (stopping?.aborted) waits.abort();
  try {
    return await retrying({ ...call, stopping: waits.signal }, cut.signal);
  } catch (error) {
    signal.throwIfAborted();
    throw error;
  } finally {
    signal.removeEventListener('abort', cutShort);
    stopping?.removeEventListener('abort', endWaits);
  }
}

async function retrying<T>(call: EcwidRetryingCall<T>, cut?: AbortSignal): Promise<T> {
  const { maxRetries, retryMaxDelayMs } = call.http;
  const longestPauseMs = Math.max(retryMaxDelayMs, RATE_LIMIT_MINUTE_MS);
  let unknownBefore = false;
  let lastFailure: EcwidAttemptFailure | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      await call.limiter.acquire(longestPauseMs, call.stopping);
    } catch (error) {
      if (!(error instanceof EcwidRateLimitRefusal)) throw error;
      // A retry the limiter held (after a 429, up to a minute) ends at shutdown with the failure it was retrying.
      throw call.toError(error instanceof EcwidRateLimitStopped && lastFailure ? lastFailure : unsentFailure(error), attempt - 1);
    }
    const outcome = await call.attempt(cut);
    if ('value' in outcome) return outcome.value;
    lastFailure = outcome;
    const settled = call.settle?.(outcome, unknownBefore);
    if (settled) return settled.value;
    unknownBefore ||= outcomeUnknown(outcome);

    const hintedMs = outcome.retryAfter === undefined ? undefined : outcome.retryAfter * 1000;
    const waitMs = hintedMs ?? backoffMs(attempt, call.http);
    if (outcome.status === 429) call.limiter.pauseFor(waitMs);
    if (!mayRetry(outcome, call.idempotent) || attempt > maxRetries || call.stopping?.aborted) throw call.toError(outcome, attempt);
    if (hintedMs !== undefined && hintedMs > (outcome.status === 429 ? longestPauseMs : retryMaxDelayMs)) {
      throw call.toError(outcome, attempt);
    }
    // After a 429 the limiter's pause is the wait.
    if (outcome.status !== 429) await sleep(waitMs, call.stopping);
    if (call.stopping?.aborted) throw call.toError(outcome, attempt);
  }
}

/** A call the limiter refused, as a 429 that was never sent. */
function unsentFailure(refusal: EcwidRateLimitRefusal): EcwidAttemptFailure {
  return {
    kind: 'http',
    status: 429,
    retryAfter: Math.ceil(refusal.remainingMs / 1000),
    body: { errorCode: 'RATE_LIMITED', errorMessage: `not sent: ${refusal.message}` },
  };
}

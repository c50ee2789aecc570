import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';

/** Only a connection that was never made is safe to retry for a call that is not idempotent. */
export const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
/** Network failures worth another attempt of a call that is safe to repeat. */
export const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_SOCKET_CONNECTION_TIMEOUT', ...NEVER_SENT_CODES]);

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `Retry-After` in seconds or as an HTTP date. */
export function retryAfterSeconds(header: unknown): number | undefined {
  if (typeof header !== 'string' || header === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/** Capped exponential backoff with full jitter, so clients that failed together do not retry together. */
export function backoffMs(attempt: number, http: EcwidResolvedConfig['http']): number {
  return Math.random() * Math.min(http.retryMaxDelayMs, http.retryBaseDelayMs * 2 ** (attempt - 1));
}

import axios, { AxiosError, AxiosInstance, AxiosRequestConfig, AxiosResponse, isAxiosError } from 'axios';
import * as http from 'node:http';
import { setMaxListeners } from 'node:events';
import * as https from 'node:https';
import type { EcwidApiFailure } from './ecwid-api.error';
import { retryAfterSeconds } from './ecwid-retry';

/** How both Ecwid clients talk HTTP: kept-alive connections, statuses left to the caller. Deadlines come per request. */
function createEcwidAxios(baseURL?: string): AxiosInstance {
  return axios.create({
    baseURL,
    validateStatus: () => true,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
    maxRedirects: 0,
    headers: { Accept: 'application/json' },
  });
}

/**
 * One request, held to `timeoutMs` from its start to the last byte of the answer. Axios's own `timeout` is an idle
 * timer that restarts with every chunk, so a server trickling its answer could hold a call far longer than asked.
 * Past the deadline the request is aborted and fails as axios's timeouts do, with code `ETIMEDOUT`. `stop` (shutdown,
 * or a caller's signal) aborts it at once, with code `ERR_CANCELED`.
 */
export async function requestWithin<T = unknown>(
  client: AxiosInstance,
  request: AxiosRequestConfig,
  timeoutMs: number,
  stop?: AbortSignal,
): Promise<AxiosResponse<T>> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const onStop = () => deadline.abort();
  stop?.addEventListener('abort', onStop, { once: true });
  try {
    if (stop?.aborted) deadline.abort();
    return await client.request<T>({ ...request, signal: deadline.signal });
  } catch (error) {
    if (!deadline.signal.aborted) throw error;
    const config = isAxiosError(error) ? error.config : undefined;
    if (stop?.aborted) throw new AxiosError('request cut short by its stop signal', AxiosError.ERR_CANCELED, config);
    throw new AxiosError(`timeout of ${timeoutMs}ms exceeded`, AxiosError.ETIMEDOUT, config);
  } finally {
    clearTimeout(timer);
    stop?.removeEventListener('abort', onStop);
  }
}

/** What went wrong with one attempt: Ecwid's answer, or why there was none. */
export interface EcwidAttemptFailure {
  kind: EcwidApiFailure;
  /** Node's or axios's code when there was no answer (`ECONNRESET`, `ETIMEDOUT`, ...). */
  code?: string;
  status?: number;
  body?: unknown;
  /** `Retry-After`, in seconds. */
  retryAfter?: number;
}

/** Ecwid's error codes: `ORDER_NOT_FOUND`, `INVALID_API_TOKEN`, ... */
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * An error body's code as an error may carry it: one not shaped like Ecwid's is not Ecwid's (a proxy echoing the
 * request, say), and could hold anything the request did, the token included; it is left out.
 */
export function reportableErrorCode(errorCode: string | undefined): string | undefined {
  return errorCode !== undefined && ERROR_CODE.test(errorCode) ? errorCode : undefined;
}

/**
 * A success status with a body that is not JSON: every answer of Ecwid's is a JSON object, so this one came from
 * something else on the way (a captive portal's page, say). A failure rather than a string the caller would take for
 * an order or a page; not retried, as a success status is not a transient one.
 */
function notJson(status: number, contentType: unknown): EcwidAttemptFailure {
  const type = typeof contentType === 'string' && contentType !== '' ? contentType.slice(0, 100) : 'no content type';
  return { kind: 'http', status, body: { errorMessage: `the answer is not JSON (${type})` } };
}

/** A request that got no answer: timed out, or a network error. */
function unansweredFailure(error: unknown): EcwidAttemptFailure {
  const code = isAxiosError(error) ? error.code : undefined;
  const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
  return { kind: timedOut ? 'timeout' : 'network', code: code ?? (error as Error).name };
}

/** `errorCode` and `errorMessage` of an Ecwid error body, when it has them. */
export function ecwidErrorFields(body: unknown): { errorCode?: string; errorMessage?: string } {
  if (body === null || typeof body !== 'object') return {};
  const { errorCode, errorMessage } = body as Record<string, unknown>;
  return {
    errorCode: typeof errorCode === 'string' ? errorCode : undefined,
    errorMessage: typeof errorMessage === 'string' ? errorMessage : undefined,
  };
}

/**
 * One client's way to Ecwid: kept-alive connections, a deadline per attempt, and the switch that ends its retries at
 * shutdown (see callWithRetries' `stopping`).
 */
export class EcwidConnection {
  private readonly axios: AxiosInstance;
  private readonly stopping = new AbortController();
  /**
   * Ecwid's clock when it sent the last 2xx answer, in ms: its `Date` header, to the whole second; undefined when that
   * answer had none.
   */
  serverTime?: number;

  constructor(
    private readonly timeoutMs: number,
    baseURL?: string,
  ) {
    this.axios = createEcwidAxios(baseURL);
    // Every call queued in the rate limiter or waiting to retry listens for shutdown here until it goes on, so a burst
    // of calls means that many listeners, each removed in its turn. Node would warn of a leak past ten.
    setMaxListeners(0, this.stopping.signal);
  }

  /** Aborted once shutdown has begun. */
  get stopped(): AbortSignal {
    return this.stopping.signal;
  }

  /** One attempt: the 2xx answer's data, or what went wrong; `signal` (the caller's) cuts it short. */
  async attempt<T>(request: AxiosRequestConfig, signal?: AbortSignal): Promise<{ value: T } | EcwidAttemptFailure> {
    try {
      const res = await requestWithin(this.axios, request, this.timeoutMs, signal);
      if (res.status >= 200 && res.status < 300) {
        if (res.data === null || typeof res.data !== 'object') return notJson(res.status, res.headers['content-type']);
        // An answer without a usable Date (a proxy may drop it) leaves nothing known, rather than an older answer's time.
        const sentAt = Date.parse(String(res.headers.date));
        this.serverTime = Number.isNaN(sentAt) ? undefined : sentAt;
        return { value: res.data as T };
      }
      return { kind: 'http', status: res.status, body: res.data, retryAfter: retryAfterSeconds(res.headers['retry-after'], res.headers.date) };
    } catch (error) {
      return unansweredFailure(error);
    }
  }

  /** From now on a failed call throws at once instead of retrying; attempts under way run to their deadline. */
  stop(): void {
    this.stopping.abort();
  }

  /**
   * For shutdown: closes the idle kept-alive connections now, and each busy one once its request has its answer.
   * `Agent.destroy()` would also cut requests under way, and a write cut mid-answer has an unknown outcome.
   */
  close(): void {
    for (const agent of [this.axios.defaults.httpAgent, this.axios.defaults.httpsAgent] as (http.Agent | undefined)[]) {
      if (!agent) continue;
      agent.keepSocketAlive = () => false;
      for (const sockets of Object.values(agent.freeSockets)) sockets?.forEach((socket) => socket.destroy());
    }
  }
}

import { setMaxListeners } from 'node:events';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { sleep } from '../orders/ecwid-sleep';
import { computeEcwidWebhookSignature } from '../webhooks/ecwid-webhook.signature';
import { ECWID_WEBHOOK_SIGNATURE_HEADER, type EcwidWebhookPayload } from '../webhooks/ecwid-webhook.payload';

/** Ecwid counts only these answers as delivered; other 2xx and every 3xx are failures. */
const DELIVERED_STATUSES: ReadonlySet<number> = new Set([200, 201, 202, 204, 209]);
/** Ecwid waits 10 s for an answer. */
const DELIVERY_TIMEOUT_MS = 10_000;

export interface SandboxDeliveryRecord {
  payload: EcwidWebhookPayload;
  url: string;
  /** 1 for the first try, 2 for the first retry, ... */
  attempt: number;
  /** Which copy of the event this attempt delivers: 1 unless `webhookCopies` sends more. */
  copy: number;
  /** The receiver's HTTP status; absent when the request failed before an answer. */
  status?: number;
  /** Network failure or timeout message. */
  error?: string;
  /** Whether Ecwid would count this attempt as delivered. */
  delivered: boolean;
  /** Clock time (ms) when the attempt started. */
  at: number;
}

export interface SandboxWebhookRetry {
  /** Total attempts including the first one. */
  attempts: number;
  /** Wait before attempt n+1 is `delaysMs[n-1]`; the last entry repeats. */
  delaysMs: number[];
}

/** Ecwid says duplicates happen: the same event (same `eventId`) delivered more than once. */
export interface SandboxWebhookCopies {
  /** Deliveries of every event; default 1. Each is retried on its own, as Ecwid treats each as a delivery. */
  count: number;
  /** Send the copies at the same time, as two of Ecwid's senders would, instead of one after the other. */
  concurrent?: boolean;
}

export const ONE_WEBHOOK_COPY: SandboxWebhookCopies = Object.freeze({ count: 1 });

export function checkWebhookCopies(copies: SandboxWebhookCopies): void {
  if (!Number.isInteger(copies.count) || copies.count < 1) throw new Error('webhookCopies.count must be a positive integer');
}

/** A retry plan that cannot be followed fails where it is given, not at the first failed delivery. */
export function checkWebhookRetry(retry: SandboxWebhookRetry): void {
  if (!Number.isInteger(retry.attempts) || retry.attempts < 1) throw new Error('webhookRetry.attempts must be a positive integer');
  if (!Array.isArray(retry.delaysMs) || !retry.delaysMs.every((ms) => Number.isFinite(ms) && ms >= 0)) {
    throw new Error('webhookRetry.delaysMs must be a list of waits in ms, none negative');
  }
}

/** The headers Ecwid sends with a webhook: JSON content type and the signature over `eventCreated.eventId`. */
export function signEcwidWebhook(body: EcwidWebhookPayload | object, clientSecret: string): Record<string, string> {
  const { eventCreated, eventId } = body as Partial<EcwidWebhookPayload>;
  return {
    'content-type': 'application/json; charset=UTF-8',
    [ECWID_WEBHOOK_SIGNATURE_HEADER]: computeEcwidWebhookSignature(eventCreated ?? '', eventId ?? '', clientSecret),
  };
}

/** `POST url?eventtype=...`, as Ecwid addresses its deliveries. */
function deliveryUrl(webhookUrl: string, eventType: string): URL {
  const url = new URL(webhookUrl);
  url.searchParams.set('eventtype', eventType);
  return url;
}

interface AttemptResult {
  status?: number;
  error?: string;
}

interface QueueDeps {
  clientSecret: string;
  records: SandboxDeliveryRecord[];
  now: () => number;
}

/** A fresh signal for the next round of waits; any number of them may listen to it at once. */
function wakeSignal(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** Waits that `wakeAll` (reset or stop) ends early, so no timer outlives the sandbox and no waiter hangs. */
export class SandboxTimers {
  private wake = wakeSignal();

  wait(ms: number): Promise<void> {
    return sleep(ms, this.wake.signal);
  }

  wakeAll(): void {
    this.wake.abort();
    this.wake = wakeSignal();
  }
}

interface Delivery {
  payload: EcwidWebhookPayload;
  webhookUrl: string;
  retry: SandboxWebhookRetry;
  /** The queue's generation when it was queued: a later one means it was cancelled. */
  generation: number;
}

/**
 * First attempts go out one at a time, in the order the changes happened. A failed delivery waits for its retry off
 * that line, as Ecwid retries each delivery on its own schedule with no ordering guarantee: later events go out
 * meanwhile, and the retry is sent when its wait ends, alongside whatever else is in flight.
 * `cancelAll` (reset/stop) abandons queued work, retry waits and requests in flight so no timer outlives the sandbox.
 */
export class WebhookDeliveryQueue {
  /** Settles once every first attempt queued so far has been made. */
  private line: Promise<unknown> = Promise.resolve();
  private generation = 0;
  /** Each copy's whole delivery, retries included, until it settles: what `idle` waits for. */
  private readonly pending = new Set<Promise<unknown>>();
  private readonly retryWaits = new SandboxTimers();
  private readonly inFlight = new Set<ClientRequest>();

  constructor(private readonly deps: QueueDeps) {}

  /** Resolves with the first copy's last attempt, or undefined if cancelled before it finished. */
  enqueue(
    payload: EcwidWebhookPayload,
    webhookUrl: string,
    retry: SandboxWebhookRetry,
    copies: SandboxWebhookCopies = ONE_WEBHOOK_COPY,
  ): Promise<AttemptResult | undefined> {
    const delivery: Delivery = { payload, webhookUrl, retry, generation: this.generation };
    const ahead = this.line;
    const firstAttempts: Promise<void>[] = [];
    const results: Promise<AttemptResult | undefined>[] = [];
    for (let copy = 1; copy <= copies.count; copy++) {
      // Concurrent copies wait only for the events ahead; sequential ones also for the copy before.
      const turn = copies.concurrent ? ahead : (firstAttempts[firstAttempts.length - 1] ?? ahead);
      let release!: () => void;
      firstAttempts.push(new Promise<void>((resolve) => (release = resolve)));
      const result = this.deliver(delivery, copy, turn, release).finally(release);
      this.pending.add(result);
      const forget = (): void => {
        this.pending.delete(result);
      };
      void result.then(forget, forget);
      results.push(result);
    }
    this.line = Promise.all(firstAttempts);
    return results[0];
  }

  /** Resolves once nothing is queued, waiting to retry, or in flight. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) {
      await Promise.allSettled(this.pending);
    }
  }

  cancelAll(): void {
    this.generation++;
    this.line = Promise.resolve();
    this.retryWaits.wakeAll();
    for (const request of this.inFlight) {
      request.destroy(new Error('delivery cancelled'));
    }
    this.inFlight.clear();
  }

  /** Only the first attempt holds the line (`release` frees it), so a retry's wait never holds back later events. */
  private async deliver(
    delivery: Delivery,
    copy: number,
    turn: Promise<unknown>,
    release: () => void,
  ): Promise<AttemptResult | undefined> {
    await turn;
    const { payload, webhookUrl, retry, generation } = delivery;
    const attempts = Math.max(1, retry.attempts);
    for (let attempt = 1; generation === this.generation; attempt++) {
      const at = this.deps.now();
      const result = await this.post(payload, webhookUrl).catch((error: Error): AttemptResult => ({ error: error.message }));
      if (generation !== this.generation) {
        return undefined;
      }
      const delivered = result.status !== undefined && DELIVERED_STATUSES.has(result.status);
      this.deps.records.push({ payload, url: webhookUrl, attempt, copy, ...result, delivered, at });
      if (attempt === 1) {
        release();
      }
      if (delivered || attempt >= attempts) {
        return result;
      }
      await this.retryWaits.wait(retry.delaysMs[Math.min(attempt, retry.delaysMs.length) - 1] ?? 0);
    }
    return undefined;
  }

  private async post(payload: EcwidWebhookPayload, webhookUrl: string): Promise<AttemptResult> {
    const body = JSON.stringify(payload);
    const url = deliveryUrl(webhookUrl, String(payload.eventType));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const request = send(url, {
        method: 'POST',
        // A fresh connection per delivery: no pooled socket keeps a test's receiver from closing.
        agent: false,
        headers: { ...signEcwidWebhook(payload, this.deps.clientSecret), 'content-length': Buffer.byteLength(body) },
        timeout: DELIVERY_TIMEOUT_MS,
      });
      this.inFlight.add(request);
      const settle = (result: AttemptResult): void => {
        this.inFlight.delete(request);
        resolve(result);
      };
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => settle({ status: response.statusCode }));
        response.on('error', (error) => settle({ status: response.statusCode, error: error.message }));
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${DELIVERY_TIMEOUT_MS} ms`)));
      request.on('error', (error) => settle({ error: error.message }));
      request.end(body);
    });
  }

}

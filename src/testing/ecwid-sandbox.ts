import { createHash, randomUUID } from 'node:crypto';
import {
  createServer,
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { ECWID_MAX_PAGE_SIZE } from '../ecwid.constants';
import type { EcwidOrder } from '../orders/ecwid-order.model';
import { EcwidFieldSelection, parseResponseFields, selectFields } from '../orders/ecwid-response-fields';
import type { EcwidWebhookPayload } from '../webhooks/ecwid-webhook.payload';
import { formatEcwidDate, parseEcwidTime, unixSeconds } from './ecwid-sandbox-dates';
import { EcwidSandboxError, ecwidErrorCodeFor } from './ecwid-sandbox-errors';
import { compileOrderFilter } from './ecwid-sandbox-filters';
import {
  compileLegacyOrderFilter,
  ionFields,
  LEGACY_API_PREFIX,
  LEGACY_DEFAULT_LIMIT,
  LEGACY_KEY_PARAMETER,
  LEGACY_MAX_LIMIT,
  legacyStatusPatch,
  postIonForm,
  toLegacyOrder,
  type SandboxIonEventType,
  type SandboxIonRecord,
  type SandboxIonStatuses,
} from './ecwid-sandbox-legacy';
import { SandboxOrderStore, withoutServerFields, type OrderUpdate } from './ecwid-sandbox-store';
import {
  checkWebhookCopies,
  checkWebhookRetry,
  SandboxTimers,
  ONE_WEBHOOK_COPY,
  WebhookDeliveryQueue,
  type SandboxDeliveryRecord,
  type SandboxWebhookCopies,
  type SandboxWebhookRetry,
} from './ecwid-sandbox-webhooks';

export { EcwidSandboxError } from './ecwid-sandbox-errors';
export { formatEcwidDate, parseEcwidTime } from './ecwid-sandbox-dates';
export {
  signEcwidWebhook,
  type SandboxDeliveryRecord,
  type SandboxWebhookCopies,
  type SandboxWebhookRetry,
} from './ecwid-sandbox-webhooks';
export type { SandboxIonEventType, SandboxIonRecord, SandboxIonStatuses } from './ecwid-sandbox-legacy';

export interface EcwidSandboxRateLimit {
  requestsPerMinute: number;
  /** Rolling window length; default 60000 ms. */
  windowMs?: number;
}

export interface EcwidSandboxOptions {
  /** Default 1003. */
  storeId?: number;
  /** The only accepted Bearer token; default `secret_sandbox_token`. */
  token?: string;
  /** The app `client_secret` that signs webhooks; default `sandbox_client_secret`. */
  clientSecret?: string;
  /** The only accepted legacy Order API key (`secure_auth_key` of `/api/v1`); default `sandbox_order_key`. */
  orderKey?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Off by default; on, more than N requests per token in a rolling window answer 429 with Retry-After. */
  rateLimit?: EcwidSandboxRateLimit | false;
  /** Where changes are delivered as signed webhooks; settable later through `sandbox.webhookUrl`. */
  webhookUrl?: string;
  /** Default: one attempt, no retry. */
  webhookRetry?: SandboxWebhookRetry;
  /** Default: each event delivered once; settable later through `sandbox.webhookCopies`. */
  webhookCopies?: SandboxWebhookCopies;
  /** Where order placements and status changes are posted as Instant Order Notifications; settable later through `sandbox.ionUrl`. */
  ionUrl?: string;
  /** Clock in ms for order dates, event times, request records and the rate limit; default `Date.now`. */
  now?: () => number;
}

export interface SandboxRequestRecord {
  method: string;
  /** Full path without the query, e.g. `/api/v3/1003/orders/K8XTQ`. */
  path: string;
  query: Record<string, string>;
  authorization?: string;
  /** Parsed JSON body (raw text when it was not JSON); absent when empty. */
  body?: unknown;
  /** 0 when a `drop` fault closed the socket without an answer. */
  status: number;
  /** Clock time (ms) when the request arrived. */
  at: number;
}

export interface SandboxFault {
  /**
   * Default: every API request. `path` is the part below `/api/v3/{storeId}` (or `/api/v1/{storeId}` for the legacy
   * API), e.g. `/orders` or `/orders/K8XTQ`.
   */
  match?: { method?: string; path?: string | RegExp };
  /** How many matching requests it hits; default 1, `Infinity` allowed. */
  times?: number;
  /** Answer with this status and Ecwid's `{ errorMessage, errorCode }` body. */
  status?: number;
  /** Overrides the errorCode chosen for `status`. */
  errorCode?: string;
  /** Sent as `Retry-After`. */
  retryAfterSeconds?: number;
  /** Wait this long before handling (or failing) the request. */
  delayMs?: number;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /**
   * Handle the request (a change is made and announced), then destroy the socket without answering: an answer lost on
   * the way back, which leaves the client unsure whether its call took effect.
   */
  loseAnswer?: boolean;
  /** Send the headers at once, then the body one byte every this many ms: a server that answers, slowly. */
  trickleMs?: number;
}

interface Reply {
  status: number;
  /** Sent as JSON, or as plain text when a string and `text` is set. */
  body: unknown;
  headers?: Record<string, string>;
  text?: boolean;
}

interface ActiveFault {
  fault: SandboxFault;
  remaining: number;
}

const API_PREFIX = '/api/v3/';
const DEFAULT_STORE_ID = 1003;
const DEFAULT_TOKEN = 'secret_sandbox_token';
const DEFAULT_CLIENT_SECRET = 'sandbox_client_secret';
const DEFAULT_ORDER_KEY = 'sandbox_order_key';
const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_RATE_WINDOW_MS = 60_000;

function errorReply(error: EcwidSandboxError, headers?: Record<string, string>): Reply {
  return { status: error.status, body: { errorMessage: error.message, errorCode: error.errorCode }, headers };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseRecordedBody(text: string): unknown {
  if (text === '') {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function parseJsonObject(headers: IncomingHttpHeaders, text: string): Partial<EcwidOrder> {
  const mediaType = (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new EcwidSandboxError(415, 'Content-Type must be application/json');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EcwidSandboxError(400, 'Request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new EcwidSandboxError(400, 'Request body must be a JSON object');
  }
  return parsed as Partial<EcwidOrder>;
}

/**
 * An order as the API would receive it: what JSON leaves out (a field set to `undefined`) is omitted, so it keeps its
 * default or its value, as over HTTP.
 */
function asSent<T>(input: T): T {
  return JSON.parse(JSON.stringify(input)) as T;
}

/** The abandoned cart behind an unfinished order, as its webhooks name it: stable for the order, in Ecwid's UUID form. */
function cartIdOf(order: EcwidOrder): string {
  const hex = createHash('sha256').update(`cart:${order.id}`).digest('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function pageParameter(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const text = query.get(name);
  if (text === null || text === '') {
    return fallback;
  }
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new EcwidSandboxError(400, `Wrong value of the '${name}' parameter: '${text}'`);
  }
  return value;
}

function timeParameter(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') {
    return undefined;
  }
  const seconds = parseEcwidTime(text);
  if (seconds === undefined) {
    throw new EcwidSandboxError(400, `Wrong value of the '${name}' parameter: '${text}'`);
  }
  return seconds;
}

function faultMatches(fault: SandboxFault, method: string, path: string): boolean {
  const match = fault.match ?? {};
  if (match.method !== undefined && match.method.toUpperCase() !== method) {
    return false;
  }
  if (match.path === undefined) {
    return true;
  }
  if (typeof match.path === 'string') {
    return match.path === path;
  }
  // A /g or /y pattern keeps state between calls; every request must be tested from the start.
  match.path.lastIndex = 0;
  return match.path.test(path);
}

/** Sliding-log limiter: a request holds its slot for exactly one window after it was accepted. */
class SlidingWindowLimiter {
  private readonly accepted = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Accepts and returns 0, or refuses and returns the whole seconds (>= 1) until the oldest slot frees. */
  take(key: string, now: number): number {
    const log = this.accepted.get(key) ?? [];
    while (log.length > 0 && log[0] <= now - this.windowMs) {
      log.shift();
    }
    if (log.length >= this.limit) {
      return Math.max(1, Math.ceil((log[0] + this.windowMs - now) / 1000));
    }
    log.push(now);
    this.accepted.set(key, log);
    return 0;
  }

  clear(): void {
    this.accepted.clear();
  }
}

/**
 * An in-process fake of Ecwid's REST API v3 orders endpoints over real HTTP, sending signed webhooks for every change.
 * It also serves the legacy Order API (`/api/v1/{storeId}/orders`) over the same orders, and posts Instant Order
 * Notifications for placements and status changes when `ionUrl` is set.
 *
 * Behaviour choices: searches list orders by internalId ascending (creation order); every `From`/`To` bound is
 * inclusive; `GET /orders/deleted` lists the deletions of the last 183 days (Ecwid's 6 months) in the order they
 * happened; an order created or updated with paymentStatus INCOMPLETE sends `unfinished_order.*` and turns into
 * `order.created` once its checkout completes.
 */
export class EcwidSandbox {
  readonly storeId: number;
  readonly token: string;
  readonly clientSecret: string;
  readonly orderKey: string;
  webhookUrl: string | undefined;
  ionUrl: string | undefined;
  /** Every API request seen, in the order they were answered. */
  readonly requests: SandboxRequestRecord[] = [];
  /** Every webhook attempt, in the order they were made. */
  readonly deliveries: SandboxDeliveryRecord[] = [];
  /** Every ION post, automatic or through `sendIon`, in the order they were made. */
  readonly ionDeliveries: SandboxIonRecord[] = [];

  private readonly host: string;
  private readonly requestedPort: number;
  private readonly now: () => number;
  private readonly webhookRetry: SandboxWebhookRetry;
  private copies: Readonly<SandboxWebhookCopies> = ONE_WEBHOOK_COPY;
  private readonly limiter: SlidingWindowLimiter | undefined;
  private readonly store: SandboxOrderStore;
  private readonly queue: WebhookDeliveryQueue;
  /** Waits of delay and trickle faults, ended early on reset or stop. */
  private readonly faultDelays = new SandboxTimers();
  private faults: ActiveFault[] = [];
  /** Automatic IONs go out one at a time, in the order the changes happened. */
  private ionTail: Promise<void> = Promise.resolve();
  private readonly ionInFlight = new Set<ClientRequest>();
  /** Bumped by reset and stop, so IONs queued and API requests held before them are dropped. */
  private generation = 0;
  private server: Server | undefined;
  private starting: Promise<this> | undefined;
  private boundPort: number | undefined;

  constructor(options: EcwidSandboxOptions = {}) {
    this.storeId = options.storeId ?? DEFAULT_STORE_ID;
    this.token = options.token ?? DEFAULT_TOKEN;
    this.clientSecret = options.clientSecret ?? DEFAULT_CLIENT_SECRET;
    this.orderKey = options.orderKey ?? DEFAULT_ORDER_KEY;
    this.ionUrl = options.ionUrl;
    this.host = options.host ?? DEFAULT_HOST;
    this.requestedPort = options.port ?? 0;
    this.webhookUrl = options.webhookUrl;
    const retry = options.webhookRetry ?? { attempts: 1, delaysMs: [] };
    checkWebhookRetry(retry);
    this.webhookRetry = { attempts: retry.attempts, delaysMs: [...retry.delaysMs] };
    this.webhookCopies = options.webhookCopies ?? ONE_WEBHOOK_COPY;
    this.now = options.now ?? Date.now;
    const rateLimit = options.rateLimit ?? false;
    if (rateLimit && !(Number.isInteger(rateLimit.requestsPerMinute) && rateLimit.requestsPerMinute > 0)) {
      throw new Error('rateLimit.requestsPerMinute must be a positive integer');
    }
    this.limiter = rateLimit
      ? new SlidingWindowLimiter(rateLimit.requestsPerMinute, rateLimit.windowMs ?? DEFAULT_RATE_WINDOW_MS)
      : undefined;
    this.store = new SandboxOrderStore(() => this.now());
    this.queue = new WebhookDeliveryQueue({
      clientSecret: this.clientSecret,
      records: this.deliveries,
      now: () => this.now(),
    });
  }

  /** How many times each change's webhook is delivered, and whether the copies go out at once. */
  get webhookCopies(): Readonly<SandboxWebhookCopies> {
    return this.copies;
  }

  /** Checked here, so a bad value fails where it is set rather than in the middle of a later change. */
  set webhookCopies(copies: SandboxWebhookCopies) {
    checkWebhookCopies(copies);
    this.copies = Object.freeze({ ...copies });
  }

  get port(): number {
    if (this.boundPort === undefined) {
      throw new Error('EcwidSandbox is not started: call start() first');
    }
    return this.boundPort;
  }

  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** What the library's `apiBaseUrl` option should be; the store id follows it. */
  get apiBaseUrl(): string {
    return `${this.url}/api/v3`;
  }

  /** Starts listening; calls made while it starts share the one server. */
  start(): Promise<this> {
    if (this.server) return Promise.resolve(this);
    this.starting ??= this.listen().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async listen(): Promise<this> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch(() => response.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.requestedPort, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    return this;
  }

  /** Closes the server and every open socket, and abandons pending deliveries, IONs and requests held by faults. */
  async stop(): Promise<void> {
    // A stop called while start() binds would otherwise find no server yet and leave it listening.
    await this.starting?.catch(() => undefined);
    this.abandonPending();
    const server = this.server;
    if (!server) {
      return;
    }
    this.server = undefined;
    this.boundPort = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Adds an order as a shopper or merchant would (Ecwid assigns what `input` leaves out) and sends its webhook. */
  createOrder(input: Partial<EcwidOrder> = {}): EcwidOrder {
    const order = this.store.create(asSent(input));
    this.announceCreated(order);
    return structuredClone(order);
  }

  /** Changes an order as the merchant would; ids and dates stay Ecwid's (use `now` to move time). */
  updateOrder(orderId: string, patch: Partial<EcwidOrder>): EcwidOrder {
    const update = this.store.update(orderId, asSent(patch));
    this.announceUpdated(update);
    return structuredClone(update.after);
  }

  deleteOrder(orderId: string): void {
    this.announceDeleted(this.store.delete(orderId));
  }

  /**
   * Bulk insert without webhooks. Template results are stored without a deep copy (that is what keeps 100k
   * orders fast and lean), so return objects you will not mutate afterwards.
   */
  seedOrders(count: number, template?: (index: number) => Partial<EcwidOrder>): void {
    for (let index = 0; index < count; index++) {
      this.store.create(template ? template(index) : {});
    }
  }

  getOrder(orderId: string): EcwidOrder | undefined {
    const order = this.store.get(orderId);
    return order && structuredClone(order);
  }

  /** All orders, internalId ascending. */
  listOrders(): EcwidOrder[] {
    return Array.from(this.store.values(), (order) => structuredClone(order));
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Resolves when no webhook delivery or automatic ION is queued, waiting to retry, or in flight. */
  async waitForDeliveries(): Promise<void> {
    let observed: Promise<void>;
    do {
      observed = this.ionTail;
      await Promise.all([observed, this.queue.idle()]);
    } while (observed !== this.ionTail);
  }

  /**
   * Posts an Instant Order Notification for the order as Ecwid does (a form with `owner_id`, `event_type`, `date`,
   * `order_id` = the order number, statuses in legacy codes, `old_*` for a status change) and resolves with the status.
   */
  sendIon(url: string, order: EcwidOrder, eventType: SandboxIonEventType, old?: SandboxIonStatuses): Promise<number> {
    return this.postIon(url, ionFields(this.storeId, order, eventType, this.now(), old));
  }

  /** Sends a payload (e.g. hand-made) through the signed delivery queue, one attempt; resolves with the HTTP status. */
  async deliverWebhook(payload: EcwidWebhookPayload, webhookUrl: string | undefined = this.webhookUrl): Promise<number> {
    if (webhookUrl === undefined) {
      throw new Error('No webhook URL: set sandbox.webhookUrl or pass one');
    }
    const result = await this.queue.enqueue(payload, webhookUrl, { attempts: 1, delaysMs: [] });
    if (result?.status === undefined) {
      throw new Error(`Webhook delivery failed: ${result?.error ?? 'cancelled'}`);
    }
    return result.status;
  }

  injectFault(fault: SandboxFault): void {
    this.faults.push({ fault, remaining: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /**
   * Back to an empty store: orders, deleted history, requests, deliveries and IONs, faults, rate limits. Pending
   * deliveries and IONs are abandoned, and a request held by a fault is dropped unanswered, changing nothing.
   */
  reset(): void {
    this.store.clear();
    this.abandonPending();
    this.requests.length = 0;
    this.deliveries.length = 0;
    this.ionDeliveries.length = 0;
    this.clearFaults();
    this.limiter?.clear();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const generation = this.generation;
    const at = this.now();
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://sandbox.invalid');
    const path = url.pathname;
    let rawBody: string;
    try {
      rawBody = await readBody(request);
    } catch {
      request.socket.destroy();
      return;
    }
    // Begun before a reset or stop: dropped here, before it can use up a fault injected for the fresh store.
    if (generation !== this.generation) {
      request.socket.destroy();
      return;
    }
    const record = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      authorization: request.headers.authorization,
      body: parseRecordedBody(rawBody),
      at,
    };
    const apiPath = this.pathBelowStore(path);
    const fault = this.takeFault(method, apiPath);
    if (fault?.delayMs) {
      await this.faultDelays.wait(fault.delayMs);
    }
    // Sent to the store as it was before a reset or stop: answering it now would change the fresh one.
    if (generation !== this.generation) {
      request.socket.destroy();
      return;
    }
    if (fault?.drop) {
      request.socket.destroy();
      this.requests.push({ ...record, status: 0 });
      return;
    }
    const reply = fault?.status ? this.faultReply(fault, fault.status, apiPath) : this.answer(method, url, request.headers, rawBody);
    if (fault?.loseAnswer) {
      request.socket.destroy();
      this.requests.push({ ...record, status: 0 });
      return;
    }
    const text = reply.text && typeof reply.body === 'string';
    const body = Buffer.from(text ? (reply.body as string) : JSON.stringify(reply.body));
    response.writeHead(reply.status, {
      // By the sandbox's clock, as Ecwid's answers carry Ecwid's: a client can tell the two clocks apart.
      date: new Date(this.now()).toUTCString(),
      ...reply.headers,
      'content-type': text ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      'content-length': body.length,
    });
    this.requests.push({ ...record, status: reply.status });
    if (!fault?.trickleMs) {
      response.end(body);
      return;
    }
    response.flushHeaders();
    for (let i = 0; i < body.length; i++) {
      await this.faultDelays.wait(fault.trickleMs);
      if (generation !== this.generation) {
        response.destroy();
        return;
      }
      // The client may have given up and closed the connection.
      if (response.destroyed) return;
      response.write(body.subarray(i, i + 1));
    }
    response.end();
  }

  private faultReply(fault: SandboxFault, status: number, apiPath: string): Reply {
    const orderNotFound = status === 404 && /^\/orders\/[^/]+$/.test(apiPath);
    const errorCode = fault.errorCode ?? (orderNotFound ? 'ORDER_NOT_FOUND' : ecwidErrorCodeFor(status));
    const headers = fault.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(fault.retryAfterSeconds) };
    return errorReply(new EcwidSandboxError(status, `Injected fault: HTTP ${status}`, errorCode), headers);
  }

  private answer(method: string, url: URL, headers: IncomingHttpHeaders, rawBody: string): Reply {
    try {
      return this.route(method, url, headers, rawBody);
    } catch (error) {
      if (error instanceof EcwidSandboxError) {
        return errorReply(error);
      }
      return errorReply(new EcwidSandboxError(500, error instanceof Error ? error.message : String(error)));
    }
  }

  /** A v3 read with `responseFields` answers only the fields it names, as Ecwid does. */
  private route(method: string, url: URL, headers: IncomingHttpHeaders, rawBody: string): Reply {
    const reply = this.routeRequest(method, url, headers, rawBody);
    const responseFields = url.searchParams.get('responseFields');
    if (responseFields === null || method !== 'GET' || reply.status !== 200 || url.pathname.startsWith(LEGACY_API_PREFIX)) {
      return reply;
    }
    let selection: EcwidFieldSelection;
    try {
      selection = parseResponseFields(responseFields);
    } catch (error) {
      throw new EcwidSandboxError(400, (error as Error).message);
    }
    return { ...reply, body: selectFields(reply.body, selection) };
  }

  private routeRequest(method: string, url: URL, headers: IncomingHttpHeaders, rawBody: string): Reply {
    const path = url.pathname.replace(/\/+$/, '');
    if (path.startsWith(LEGACY_API_PREFIX)) {
      return this.legacyRoute(method, url, path);
    }
    if (!path.startsWith(API_PREFIX)) {
      throw new EcwidSandboxError(404, `No resource at ${path}`);
    }
    const [storeSegment, ...segments] = path.slice(API_PREFIX.length).split('/');
    if (storeSegment !== String(this.storeId)) {
      throw new EcwidSandboxError(404, `Store ${storeSegment} not found`, 'STORE_NOT_FOUND');
    }
    this.authorize(url.searchParams, headers);
    const retryAfter = this.limiter?.take(headers.authorization ?? '', this.now()) ?? 0;
    if (retryAfter > 0) {
      const error = new EcwidSandboxError(429, 'Too many requests');
      return errorReply(error, { 'retry-after': String(retryAfter) });
    }
    const [resource, orderSegment, ...rest] = segments;
    if (resource !== 'orders' || rest.length > 0) {
      throw new EcwidSandboxError(404, `No resource at ${path}`);
    }
    if (orderSegment === undefined) {
      if (method === 'GET') {
        return { status: 200, body: this.searchOrders(url.searchParams) };
      }
      if (method === 'POST') {
        const order = this.store.create(withoutServerFields(parseJsonObject(headers, rawBody)));
        this.announceCreated(order);
        return { status: 200, body: { id: order.internalId, orderId: order.id } };
      }
    } else if (orderSegment === 'deleted' && method === 'GET') {
      return { status: 200, body: this.deletedOrders(url.searchParams) };
    } else {
      return this.orderRoute(method, this.resolveOrderId(this.decodeSegment(orderSegment)), headers, rawBody, path);
    }
    throw new EcwidSandboxError(404, `No ${method} resource at ${path}`);
  }

  private orderRoute(method: string, orderId: string, headers: IncomingHttpHeaders, rawBody: string, path: string): Reply {
    switch (method) {
      case 'GET': {
        const order = this.store.get(orderId);
        if (!order) {
          throw new EcwidSandboxError(404, `Order '${orderId}' not found`, 'ORDER_NOT_FOUND');
        }
        return { status: 200, body: order };
      }
      case 'PUT': {
        const patch = parseJsonObject(headers, rawBody);
        this.announceUpdated(this.store.update(orderId, patch));
        return { status: 200, body: { updateCount: 1 } };
      }
      case 'DELETE':
        this.announceDeleted(this.store.delete(orderId));
        return { status: 200, body: { deleteCount: 1 } };
      default:
        throw new EcwidSandboxError(404, `No ${method} resource at ${path}`);
    }
  }

  /** An order is also found by its number, the name ION and the legacy API give it. */
  private resolveOrderId(orderId: string): string {
    if (this.store.get(orderId) || !/^\d+$/.test(orderId)) {
      return orderId;
    }
    for (const order of this.store.values()) {
      if (order.internalId === Number(orderId)) {
        return order.id;
      }
    }
    return orderId;
  }

  /** The legacy Order API; its errors are plain text, as the legacy API's are, and never quote the key. */
  private legacyRoute(method: string, url: URL, path: string): Reply {
    try {
      const [storeSegment, resource, ...rest] = path.slice(LEGACY_API_PREFIX.length).split('/');
      if (storeSegment !== String(this.storeId)) {
        throw new EcwidSandboxError(404, `Store ${storeSegment} not found`);
      }
      const key = url.searchParams.get(LEGACY_KEY_PARAMETER);
      if (key !== this.orderKey) {
        throw new EcwidSandboxError(403, 'Access denied: wrong or missing secure_auth_key');
      }
      const retryAfter = this.limiter?.take(`legacy:${key}`, this.now()) ?? 0;
      if (retryAfter > 0) {
        return { status: 429, body: 'Too many requests', text: true, headers: { 'retry-after': String(retryAfter) } };
      }
      if (resource !== 'orders' || rest.length > 0 || (method !== 'GET' && method !== 'POST')) {
        throw new EcwidSandboxError(404, `No ${method} resource at ${path}`);
      }
      return { status: 200, body: this.legacyOrders(method, url) };
    } catch (error) {
      const failure = error instanceof EcwidSandboxError ? error : new EcwidSandboxError(500, String(error));
      return { status: failure.status, body: failure.message, text: true };
    }
  }

  /** A page of the selected orders; a POST first applies the `new_*` values to every order on that page. */
  private legacyOrders(method: string, url: URL): object {
    const query = url.searchParams;
    const filter = compileLegacyOrderFilter(query);
    const offset = pageParameter(query, 'offset', 0, Number.MAX_SAFE_INTEGER);
    const limit = pageParameter(query, 'limit', LEGACY_DEFAULT_LIMIT, LEGACY_MAX_LIMIT);
    if (method === 'POST') {
      const patch = legacyStatusPatch(query);
      const selected = this.store.search(filter, offset, limit).items.map((order) => order.id);
      const updated = selected.map((orderId) => {
        const update = this.store.update(orderId, patch);
        this.announceUpdated(update);
        return toLegacyOrder(update.after);
      });
      return { count: updated.length, total: updated.length, orders: updated };
    }
    const page = this.store.search(filter, offset, limit);
    const answer: Record<string, unknown> = { count: page.items.length, total: page.total, orders: page.items.map(toLegacyOrder) };
    if (offset + page.items.length < page.total) {
      const next = new URL(`${this.url}${url.pathname}`);
      next.search = query.toString();
      next.searchParams.set('offset', String(offset + page.items.length));
      answer.nextUrl = next.toString();
    }
    return answer;
  }

  private decodeSegment(segment: string): string {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new EcwidSandboxError(400, `Malformed order id '${segment}'`);
    }
  }

  private authorize(query: URLSearchParams, headers: IncomingHttpHeaders): void {
    if (query.has('token')) {
      throw new EcwidSandboxError(403, 'The token query parameter is no longer accepted: send Authorization: Bearer <token>');
    }
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
    if (!bearer || bearer[1] !== this.token) {
      throw new EcwidSandboxError(403, 'Missing or invalid API token', 'INVALID_API_TOKEN');
    }
  }

  private searchOrders(query: URLSearchParams): object {
    const filter = compileOrderFilter(query);
    const offset = pageParameter(query, 'offset', 0, Number.MAX_SAFE_INTEGER);
    const limit = pageParameter(query, 'limit', ECWID_MAX_PAGE_SIZE, ECWID_MAX_PAGE_SIZE);
    const page = this.store.search(filter, offset, limit);
    return { total: page.total, count: page.items.length, offset, limit, items: page.items };
  }

  private deletedOrders(query: URLSearchParams): object {
    const from = timeParameter(query, 'from_date');
    const to = timeParameter(query, 'to_date');
    const offset = pageParameter(query, 'offset', 0, Number.MAX_SAFE_INTEGER);
    const limit = pageParameter(query, 'limit', ECWID_MAX_PAGE_SIZE, ECWID_MAX_PAGE_SIZE);
    const page = this.store.deletedHistory(from, to, offset, limit);
    const items = page.items.map((entry) => ({ id: entry.internalId, date: formatEcwidDate(entry.deletedAt) }));
    return { total: page.total, count: items.length, offset, limit, items };
  }

  private pathBelowStore(path: string): string {
    for (const prefix of [API_PREFIX, LEGACY_API_PREFIX]) {
      const storeBase = `${prefix}${this.storeId}`;
      if (path.startsWith(`${storeBase}/`)) {
        return path.slice(storeBase.length);
      }
    }
    return path;
  }

  private takeFault(method: string, apiPath: string): SandboxFault | undefined {
    const active = this.faults.find((entry) => entry.remaining > 0 && faultMatches(entry.fault, method, apiPath));
    if (!active) {
      return undefined;
    }
    active.remaining--;
    this.faults = this.faults.filter((entry) => entry.remaining > 0);
    return active.fault;
  }

  /** Leaves nothing started before a reset or stop running: no timer is left behind, and no held request hangs. */
  private abandonPending(): void {
    this.generation++;
    this.queue.cancelAll();
    for (const request of this.ionInFlight) {
      request.destroy(new Error('ION cancelled'));
    }
    this.ionInFlight.clear();
    this.ionTail = Promise.resolve();
    this.faultDelays.wakeAll();
  }

  private announceCreated(order: EcwidOrder): void {
    if (order.paymentStatus === 'INCOMPLETE') {
      this.announce('unfinished_order.created', order, { orderId: order.id, cartId: cartIdOf(order) });
      return;
    }
    this.queueIon(order, 'new_order');
    this.announce('order.created', order, {
      orderId: order.id,
      newPaymentStatus: order.paymentStatus,
      newFulfillmentStatus: order.fulfillmentStatus,
    });
  }

  private announceUpdated({ before, after }: OrderUpdate): void {
    if (before.paymentStatus === 'INCOMPLETE') {
      // Completing checkout is when Ecwid reports an unfinished order as a new order.
      if (after.paymentStatus === 'INCOMPLETE') {
        this.announce('unfinished_order.updated', after, { orderId: after.id, cartId: cartIdOf(after) });
      } else {
        this.announceCreated(after);
      }
      return;
    }
    if (before.paymentStatus !== after.paymentStatus || before.fulfillmentStatus !== after.fulfillmentStatus) {
      this.queueIon(after, 'order_status_change', before);
    }
    this.announce('order.updated', after, {
      orderId: after.id,
      oldPaymentStatus: before.paymentStatus,
      newPaymentStatus: after.paymentStatus,
      oldFulfillmentStatus: before.fulfillmentStatus,
      newFulfillmentStatus: after.fulfillmentStatus,
    });
  }

  private announceDeleted(order: EcwidOrder): void {
    if (order.paymentStatus === 'INCOMPLETE') {
      this.announce('unfinished_order.deleted', order, { orderId: order.id, cartId: cartIdOf(order) });
    } else {
      this.announce('order.deleted', order, { orderId: order.id });
    }
  }

  /** Queues the webhook Ecwid would send; nothing is sent while no webhook URL is set. */
  private announce(eventType: string, order: EcwidOrder, data: Record<string, unknown>): void {
    const webhookUrl = this.webhookUrl;
    if (webhookUrl === undefined) {
      return;
    }
    const payload: EcwidWebhookPayload = {
      eventId: randomUUID(),
      eventCreated: unixSeconds(this.now()),
      storeId: this.storeId,
      entityId: order.internalId,
      eventType,
      data,
    };
    void this.queue.enqueue(payload, webhookUrl, this.webhookRetry, this.copies);
  }

  /** Queues the ION Ecwid would post, with the fields as they are now; nothing is sent while no ION URL is set. */
  private queueIon(order: EcwidOrder, eventType: SandboxIonEventType, old?: SandboxIonStatuses): void {
    const ionUrl = this.ionUrl;
    if (ionUrl === undefined) {
      return;
    }
    const fields = ionFields(this.storeId, order, eventType, this.now(), old);
    const generation = this.generation;
    this.ionTail = this.ionTail.then(async () => {
      if (generation === this.generation) {
        await this.postIon(ionUrl, fields).catch(() => undefined);
      }
    });
  }

  private async postIon(url: string, fields: URLSearchParams): Promise<number> {
    const record: SandboxIonRecord = { url, fields: Object.fromEntries(fields), at: this.now() };
    this.ionDeliveries.push(record);
    try {
      record.status = await postIonForm(url, fields, this.ionInFlight);
      return record.status;
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }
}

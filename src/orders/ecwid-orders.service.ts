import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { inspect } from 'node:util';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { ECWID_HTTP_CLIENT, ECWID_MAX_PAGE_SIZE, ECWID_RESOLVED_CONFIG } from '../ecwid.constants';
import { EcwidLegacyOrders } from '../legacy/ecwid-legacy-orders';
import { legacyUnsupported } from '../legacy/ecwid-legacy-unsupported';
import { EcwidApiError } from './ecwid-api.error';
import { type EcwidCallOptions, EcwidHttpClient, isOrderNotFound } from './ecwid-http.client';
import type {
  EcwidCreateOrderResult,
  EcwidDeleteResult,
  EcwidDeletedOrder,
  EcwidDeletedOrdersFilters,
  EcwidOrder,
  EcwidOrderInput,
  EcwidOrderPatch,
  EcwidOrderSearchFilters,
  EcwidOrdersPage,
  EcwidPage,
  EcwidUpdateResult,
} from './ecwid-order.model';
import { walkPages } from './ecwid-page-walk';
import { checkPageSize, toEcwidQuery } from './ecwid-query';
import { pagingResponseFields, parseResponseFields } from './ecwid-response-fields';

/**
 * `/orders/{id}`. An id of `.` or `..` (or none) would not name an order: URL parsing folds such a segment away, and
 * the request would reach `/orders` (a search) or the store itself. `deleted` would reach the deleted-orders history.
 * The id may come from an unsigned webhook body.
 */
function orderPath(orderId: string): string {
  if (typeof orderId !== 'string' || orderId.trim() === '' || orderId === '.' || orderId === '..' || orderId === 'deleted') {
    throw new TypeError(`Not an Ecwid order id: ${JSON.stringify(String(orderId).slice(0, 40))}`);
  }
  return `/orders/${encodeURIComponent(orderId)}`;
}

/**
 * Reads and changes orders in the store through Ecwid's REST API v3. Without a v3 token but with the legacy
 * Order API key, reads and status updates go through the legacy API (v1) instead, and the rest throws.
 */
@Injectable()
export class EcwidOrdersService implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('EcwidOrders');
  private readonly legacy?: EcwidLegacyOrders;

  constructor(
    @Inject(ECWID_HTTP_CLIENT) private readonly http: EcwidHttpClient,
    @Inject(ECWID_RESOLVED_CONFIG) private readonly config: EcwidResolvedConfig,
  ) {
    if (!config.token && config.legacy.orderKey) this.legacy = new EcwidLegacyOrders(config, config.legacy.orderKey);
  }

  onModuleInit(): void {
    const { orderKey, productKey } = this.config.legacy;
    if (this.config.token && (orderKey || productKey)) {
      this.logger.log(`Store ${this.config.storeId}: v3 token present: the legacy API keys are not used`);
    }
  }

  /** The legacy client's part of shutdown; the v3 client, a provider of its own, has the same hooks. */
  beforeApplicationShutdown(): void {
    this.legacy?.stop();
  }

  onApplicationShutdown(): void {
    this.legacy?.close();
  }

  /**
   * `GET /orders` with Ecwid's filters; answers Ecwid's envelope. Unfinished orders need a `paymentStatus` filter.
   * Through the legacy API: `createdFrom/To`, `updatedFrom/To` (whole days), `email`, `customerId`, `paymentStatus`,
   * `fulfillmentStatus`, `ids` (one order number), `offset` and `limit` (up to 200). Every method takes
   * `{ signal }` (see EcwidCallOptions) last.
   */
  async search(filters: EcwidOrderSearchFilters = {}, options?: EcwidCallOptions): Promise<EcwidOrdersPage> {
    const signal = options?.signal;
    if (this.legacy) return this.legacy.search(filters, signal);
    checkPageSize(filters.limit);
    if (filters.responseFields !== undefined) parseResponseFields(filters.responseFields);
    return this.http.request<EcwidOrdersPage>({ method: 'GET', path: '/orders', query: toEcwidQuery(filters), signal });
  }

  /**
   * Every matching order, one page of `limit` (default 100) in memory at a time, also while orders leave the result
   * (see `walkPages`). `responseFields` selects from the page, as in `search` (`items(id,email)`); `total` and the items'
   * `id` are added, as the walk needs them. An aborted `signal` ends the walk at its next page read.
   */
  async *iterate(filters: EcwidOrderSearchFilters = {}, options?: EcwidCallOptions): AsyncGenerator<EcwidOrder, void, undefined> {
    if (this.legacy) return yield* this.legacy.iterate(filters, options?.signal);
    const responseFields = pagingResponseFields(filters.responseFields);
    checkPageSize(filters.limit);
    const search = (offset: number, limit: number) => this.search({ ...filters, responseFields, offset, limit }, options);
    yield* walkPages(search, filters.offset ?? 0, filters.limit ?? ECWID_MAX_PAGE_SIZE);
  }

  /**
   * The order, or `null` when Ecwid answers 404 `ORDER_NOT_FOUND` (or, as older answers do, a JSON error with no code)
   * for it (legacy API: by order number). Other failures, another 404 included (a wrong `apiBaseUrl`, a proxy's page),
   * throw EcwidApiError.
   */
  async get(orderId: string, options?: EcwidCallOptions & { responseFields?: undefined }): Promise<EcwidOrder | null>;
  /** Only the fields `responseFields` names, e.g. `id,email,items(sku,price)` (v3 API only). */
  async get(orderId: string, options: EcwidCallOptions & { responseFields: string }): Promise<Partial<EcwidOrder> | null>;
  /** Options passed on as they came, a selection or not: typed as the selection would be. */
  async get(orderId: string, options?: EcwidCallOptions & { responseFields?: string }): Promise<Partial<EcwidOrder> | null>;
  async get(orderId: string, options?: EcwidCallOptions & { responseFields?: string }): Promise<Partial<EcwidOrder> | null> {
    const responseFields = options?.responseFields;
    const signal = options?.signal;
    if (this.legacy) {
      if (responseFields !== undefined) throw legacyUnsupported('The "responseFields" option');
      return this.legacy.get(orderId, signal);
    }
    if (responseFields !== undefined) parseResponseFields(responseFields);
    try {
      return await this.http.request<EcwidOrder>({ method: 'GET', path: orderPath(orderId), query: { responseFields }, signal });
    } catch (error) {
      // Only a 404 about the order: a wrong apiBaseUrl or store answers 404 too, and must not pass for a missing order.
      if (error instanceof EcwidApiError && isOrderNotFound(error)) return null;
      throw error;
    }
  }

  /** `POST /orders`; not retried on 5xx or timeouts, since a retry could create the order twice. */
  async create(order: EcwidOrderInput, options?: EcwidCallOptions): Promise<EcwidCreateOrderResult> {
    if (this.legacy) throw legacyUnsupported('Creating an order');
    return this.http.request<EcwidCreateOrderResult>({ method: 'POST', path: '/orders', body: order, signal: options?.signal });
  }

  /**
   * `PUT /orders/{id}`: omitted fields stay unchanged; `items`, if sent, must list every item. Through the legacy
   * API only `paymentStatus`, `fulfillmentStatus` and `trackingNumber` can change, and `updateCount` is 0 for an unknown number.
   */
  async update(orderId: string, patch: EcwidOrderPatch, options?: EcwidCallOptions): Promise<EcwidUpdateResult> {
    if (this.legacy) return this.legacy.update(orderId, patch, options?.signal);
    return this.http.request<EcwidUpdateResult>({
      method: 'PUT',
      path: orderPath(orderId),
      body: patch,
      signal: options?.signal,
    });
  }

  /**
   * `DELETE /orders/{id}`: `{ deleteCount: 1 }`. A retry that finds the order gone after an attempt whose answer was
   * lost (a timeout, a dropped connection, a 5xx) resolves `{ deleteCount: 0, alreadyDeleted: true }`: that attempt
   * most likely deleted it. An order missing at the first attempt throws EcwidApiError 404 `ORDER_NOT_FOUND`.
   */
  async delete(orderId: string, options?: EcwidCallOptions): Promise<EcwidDeleteResult> {
    if (this.legacy) throw legacyUnsupported('Deleting an order');
    return this.http.request<EcwidDeleteResult>({
      method: 'DELETE',
      path: orderPath(orderId),
      ifAlreadyGone: { deleteCount: 0, alreadyDeleted: true },
      signal: options?.signal,
    });
  }

  /** `GET /orders/deleted`: Ecwid keeps six months of it. */
  async deleted(filters: EcwidDeletedOrdersFilters = {}, options?: EcwidCallOptions): Promise<EcwidPage<EcwidDeletedOrder>> {
    if (this.legacy) throw legacyUnsupported('The deleted-orders history');
    checkPageSize(filters.limit);
    const { from, to, offset, limit } = filters;
    return this.http.request<EcwidPage<EcwidDeletedOrder>>({
      method: 'GET',
      path: '/orders/deleted',
      query: toEcwidQuery({ from_date: from, to_date: to, offset, limit }),
      signal: options?.signal,
    });
  }

  async *iterateDeleted(
    filters: EcwidDeletedOrdersFilters = {},
    options?: EcwidCallOptions,
  ): AsyncGenerator<EcwidDeletedOrder, void, undefined> {
    checkPageSize(filters.limit);
    const deleted = (offset: number, limit: number) => this.deleted({ ...filters, offset, limit }, options);
    yield* walkPages(deleted, filters.offset ?? 0, filters.limit ?? ECWID_MAX_PAGE_SIZE);
  }

  /**
   * Ecwid's clock when it sent the last successful answer (its `Date` header, to the whole second), or undefined
   * before the first. The poller ends its windows by it, so a host clock running ahead of Ecwid's loses no change.
   */
  serverTime(): Date | undefined {
    const sentAt = this.legacy ? this.legacy.serverTime : this.http.serverTime;
    return sentAt === undefined ? undefined : new Date(sentAt);
  }

  /**
   * The requests per `http.rateLimitWindowMs` this service's calls keep to now: the smallest `http.requestsPerMinute`
   * of the module instances in the process that share its token (or legacy key), since Ecwid counts per token.
   */
  requestsPerWindow(): number {
    return this.legacy ? this.legacy.requestsPerWindow : this.http.requestsPerWindow;
  }

  /** Shows which API serves the store and nothing of the clients, whose credentials stay out of logs. */
  toJSON(): { api: 'v3' | 'legacy'; storeId: number } {
    return { api: this.legacy ? 'legacy' : 'v3', storeId: this.config.storeId };
  }

  [inspect.custom](): unknown {
    return this.toJSON();
  }
}

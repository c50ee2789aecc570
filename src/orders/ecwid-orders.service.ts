import { Inject, Injectable } from '@nestjs/common';
import { ECWID_HTTP_CLIENT, ECWID_MAX_PAGE_SIZE } from '../ecwid.constants';
import { EcwidApiError } from './ecwid-api.error';
import { EcwidHttpClient } from './ecwid-http.client';
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
import { checkPageSize, toEcwidQuery } from './ecwid-query';

/** Reads and changes orders in the store through Ecwid's REST API v3. */
@Injectable()
export class EcwidOrdersService {
  constructor(@Inject(ECWID_HTTP_CLIENT) private readonly http: EcwidHttpClient) {}

  /** `GET /orders` with Ecwid's filters; answers Ecwid's envelope. Unfinished orders need a `paymentStatus` filter. */
  async search(filters: EcwidOrderSearchFilters = {}): Promise<EcwidOrdersPage> {
    checkPageSize(filters.limit);
    return this.http.request<EcwidOrdersPage>({ method: 'GET', path: '/orders', query: toEcwidQuery(filters) });
  }

  /** Every matching order, one page of `limit` (default 100) in memory at a time. */
  async *iterate(filters: EcwidOrderSearchFilters = {}): AsyncGenerator<EcwidOrder, void, undefined> {
    yield* this.pages((offset, limit) => this.search({ ...filters, offset, limit }), filters.offset, filters.limit);
  }

  /** The order, or `null` when Ecwid answers 404 for it. Other failures throw EcwidApiError. */
  async get(orderId: string): Promise<EcwidOrder | null> {
    try {
      return await this.http.request<EcwidOrder>({ method: 'GET', path: `/orders/${encodeURIComponent(orderId)}` });
    } catch (error) {
      if (error instanceof EcwidApiError && error.status === 404 && error.errorCode !== 'STORE_NOT_FOUND') return null;
      throw error;
    }
  }

  /** `POST /orders`; not retried on 5xx or timeouts, since a retry could create the order twice. */
  create(order: EcwidOrderInput): Promise<EcwidCreateOrderResult> {
    return this.http.request<EcwidCreateOrderResult>({ method: 'POST', path: '/orders', body: order });
  }

  /** `PUT /orders/{id}`: omitted fields stay unchanged; `items`, if sent, must list every item. */
  update(orderId: string, patch: EcwidOrderPatch): Promise<EcwidUpdateResult> {
    return this.http.request<EcwidUpdateResult>({
      method: 'PUT',
      path: `/orders/${encodeURIComponent(orderId)}`,
      body: patch,
    });
  }

  delete(orderId: string): Promise<EcwidDeleteResult> {
    return this.http.request<EcwidDeleteResult>({ method: 'DELETE', path: `/orders/${encodeURIComponent(orderId)}` });
  }

  /** `GET /orders/deleted`: Ecwid keeps six months of it. */
  async deleted(filters: EcwidDeletedOrdersFilters = {}): Promise<EcwidPage<EcwidDeletedOrder>> {
    checkPageSize(filters.limit);
    const { from, to, offset, limit } = filters;
    return this.http.request<EcwidPage<EcwidDeletedOrder>>({
      method: 'GET',
      path: '/orders/deleted',
      query: toEcwidQuery({ from_date: from, to_date: to, offset, limit }),
    });
  }

  async *iterateDeleted(filters: EcwidDeletedOrdersFilters = {}): AsyncGenerator<EcwidDeletedOrder, void, undefined> {
    yield* this.pages((offset, limit) => this.deleted({ ...filters, offset, limit }), filters.offset, filters.limit);
  }

  private async *pages<T>(
    fetchPage: (offset: number, limit: number) => Promise<EcwidPage<T>>,
    startOffset = 0,
    limit = ECWID_MAX_PAGE_SIZE,
  ): AsyncGenerator<T, void, undefined> {
    checkPageSize(limit);
    let offset = startOffset;
    for (;;) {
      const page = await fetchPage(offset, limit);
      yield* page.items;
      offset += page.items.length;
      if (page.items.length === 0 || offset >= page.total) return;
    }
  }
}

import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import type { EcwidSecret } from '../config/ecwid-secret';
import type {
  EcwidOrder,
  EcwidOrderPatch,
  EcwidOrderSearchFilters,
  EcwidOrdersPage,
  EcwidUpdateResult,
} from '../orders/ecwid-order.model';
import { walkPages } from '../orders/ecwid-page-walk';
import { EcwidLegacyClient } from './ecwid-legacy.client';
import type { EcwidLegacyOrdersResponse } from './ecwid-legacy-order.model';
import { fromLegacyOrder } from './ecwid-legacy-order.mapper';
import { checkLegacyPageSize, ECWID_LEGACY_MAX_PAGE_SIZE, toLegacyOrderQuery } from './ecwid-legacy-query';
import { legacyStatusCode } from './ecwid-legacy-statuses';
import { legacyUnsupported } from './ecwid-legacy-unsupported';

/** A search without `limit` gets v3's default page, so both APIs answer the same call alike. */
const DEFAULT_SEARCH_LIMIT = 100;

/** The `new_*` parameter of the legacy status update for each field it can change. */
const UPDATABLE: Readonly<Record<string, string>> = {
  paymentStatus: 'new_payment_status',
  fulfillmentStatus: 'new_fulfillment_status',
  trackingNumber: 'new_shipping_tracking_code',
};

/** The legacy API selects a single order only by its number. */
function orderNumber(orderId: string, what: string): string {
  if (!/^\d+$/.test(orderId)) throw legacyUnsupported(`${what} order "${orderId}" by anything but its order number`);
  return orderId;
}

/** `EcwidOrdersService`'s reads and status updates in v3 terms, served by the legacy Order API. */
export class EcwidLegacyOrders {
  private readonly client: EcwidLegacyClient;

  constructor(config: EcwidResolvedConfig, orderKey: EcwidSecret) {
    this.client = new EcwidLegacyClient(config, orderKey);
  }

  get serverTime(): number | undefined {
    return this.client.serverTime;
  }

  get requestsPerWindow(): number {
    return this.client.requestsPerWindow;
  }

  /** See EcwidLegacyClient.stop and close. */
  stop(): void {
    this.client.stop();
  }

  close(): void {
    this.client.close();
  }

  async search(filters: EcwidOrderSearchFilters, signal?: AbortSignal): Promise<EcwidOrdersPage> {
    checkLegacyPageSize(filters.limit);
    const offset = filters.offset ?? 0;
    const limit = filters.limit ?? DEFAULT_SEARCH_LIMIT;
    const query = toLegacyOrderQuery({ ...filters, offset, limit });
    const page = await this.client.request<EcwidLegacyOrdersResponse>('GET', query, signal);
    return { total: page.total, count: page.orders.length, offset, limit, items: page.orders.map(fromLegacyOrder) };
  }

  /**
   * Every matching order, 200 a page by default, by offset as the v3 walk does (see `walkPages`): the legacy `nextUrl`
   * only moves the offset on, and would skip orders that leave the result during the walk.
   */
  async *iterate(filters: EcwidOrderSearchFilters, signal?: AbortSignal): AsyncGenerator<EcwidOrder, void, undefined> {
    checkLegacyPageSize(filters.limit);
    const search = (offset: number, limit: number) => this.search({ ...filters, offset, limit }, signal);
    yield* walkPages(search, filters.offset ?? 0, filters.limit ?? ECWID_LEGACY_MAX_PAGE_SIZE);
  }

  async get(orderId: string, signal?: AbortSignal): Promise<EcwidOrder | null> {
    const query = new URLSearchParams({ order: orderNumber(orderId, 'Reading'), limit: '1' });
    const page = await this.client.request<EcwidLegacyOrdersResponse>('GET', query, signal);
    return page.orders.length > 0 ? fromLegacyOrder(page.orders[0]) : null;
  }

  /** Sets statuses and the tracking number; `updateCount` is 0 when no order has that number. */
  async update(orderId: string, patch: EcwidOrderPatch, signal?: AbortSignal): Promise<EcwidUpdateResult> {
    const fields = Object.entries(patch).filter(([, value]) => value !== undefined);
    const others = fields.filter(([field]) => !(field in UPDATABLE)).map(([field]) => field);
    if (others.length > 0) throw legacyUnsupported(`Updating ${others.join(', ')}`);
    const query = new URLSearchParams({ order: orderNumber(orderId, 'Updating') });
    for (const [field, value] of fields) {
      query.set(UPDATABLE[field], field === 'trackingNumber' ? String(value) : legacyStatusCode(String(value)));
    }
    const answer = await this.client.request<EcwidLegacyOrdersResponse>('POST', query, signal);
    return { updateCount: answer.count };
  }
}

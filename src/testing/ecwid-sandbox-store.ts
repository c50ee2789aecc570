import { randomBytes } from 'node:crypto';
import {
  ECWID_FULFILLMENT_STATUSES,
  ECWID_PAYMENT_STATUSES,
  type EcwidFulfillmentStatus,
  type EcwidOrder,
  type EcwidOrderItem,
  type EcwidPaymentStatus,
} from '../orders/ecwid-order.model';
import { formatEcwidDate, parseEcwidTime, unixSeconds } from './ecwid-sandbox-dates';
import { EcwidSandboxError } from './ecwid-sandbox-errors';
import type { OrderFilter } from './ecwid-sandbox-filters';

/** Ecwid's internal ids are large numbers; starting high keeps them visibly distinct from counts and offsets. */
const FIRST_INTERNAL_ID = 400_000_001;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ID_LENGTH = 5;
/** Largest multiple of 36 below 256: bytes above it are skipped so every letter is equally likely. */
const UNBIASED_BYTE_LIMIT = 252;
/** Ecwid keeps the deleted history 6 months, taken as 183 days (half a leap year) so the span never depends on the month. */
const DELETED_HISTORY_SECONDS = 183 * 24 * 60 * 60;

/** Fields Ecwid assigns itself: an update never changes them. */
const SERVER_FIELDS = [
  'id',
  'internalId',
  'orderNumber',
  'vendorOrderNumber',
  'createDate',
  'createTimestamp',
  'updateDate',
  'updateTimestamp',
] as const;

const PAYMENT_STATUSES: ReadonlySet<string> = new Set(ECWID_PAYMENT_STATUSES);
const FULFILLMENT_STATUSES: ReadonlySet<string> = new Set(ECWID_FULFILLMENT_STATUSES);

export interface OrderStatuses {
  paymentStatus?: EcwidPaymentStatus;
  fulfillmentStatus?: EcwidFulfillmentStatus;
}

export interface OrderUpdate {
  before: OrderStatuses;
  after: EcwidOrder;
}

export interface DeletedOrderEntry {
  internalId: number;
  /** UNIX seconds. */
  deletedAt: number;
}

export interface StorePage<T> {
  total: number;
  items: T[];
}

function wrongParameter(message: string): EcwidSandboxError {
  return new EcwidSandboxError(400, message);
}

function validateFields(fields: Partial<EcwidOrder>): void {
  if (fields.paymentStatus !== undefined && !PAYMENT_STATUSES.has(fields.paymentStatus)) {
    throw wrongParameter(`Unknown paymentStatus '${String(fields.paymentStatus)}'`);
  }
  if (fields.fulfillmentStatus !== undefined && !FULFILLMENT_STATUSES.has(fields.fulfillmentStatus)) {
    throw wrongParameter(`Unknown fulfillmentStatus '${String(fields.fulfillmentStatus)}'`);
  }
  if (fields.items !== undefined && !Array.isArray(fields.items)) {
    throw wrongParameter('items must be an array');
  }
}

function itemsSubtotal(items: EcwidOrderItem[]): number {
  return items.reduce((sum, item) => sum + (item.price ?? 0) * (item.quantity ?? 1), 0);
}

function timeField(name: string, timestamp: unknown, date: unknown): number | undefined {
  const given = timestamp ?? date;
  if (given === undefined) {
    return undefined;
  }
  const seconds = typeof given === 'number' || typeof given === 'string' ? parseEcwidTime(given) : undefined;
  if (seconds === undefined) {
    throw wrongParameter(`Unreadable ${name}: '${String(given)}'`);
  }
  return seconds;
}

/** Drops the fields Ecwid assigns itself, as it ignores them in request bodies. */
export function withoutServerFields(patch: Partial<EcwidOrder>): Partial<EcwidOrder> {
  const editable: Partial<EcwidOrder> = { ...patch };
  for (const field of SERVER_FIELDS) {
    delete editable[field];
  }
  return editable;
}

/**
 * The sandbox's orders, kept in a Map in creation order, which is also internalId order:
 * searches walk it lazily and only the requested page is sliced out.
 */
export class SandboxOrderStore {
  private readonly orders = new Map<string, EcwidOrder>();
  private readonly deleted: DeletedOrderEntry[] = [];
  private nextInternalId = FIRST_INTERNAL_ID;
  /** Bumped by every change, so a cached search result is never served stale. */
  private version = 0;
  private lastSearch: { key: string; version: number; matches: EcwidOrder[] } | undefined;
  private idBytes = Buffer.alloc(0);
  private idBytesOffset = 0;

  constructor(private readonly clock: () => number) {}

  get size(): number {
    return this.orders.size;
  }

  /** The stored order itself: callers must copy before handing it out. */
  get(orderId: string): EcwidOrder | undefined {
    return this.orders.get(orderId);
  }

  values(): IterableIterator<EcwidOrder> {
    return this.orders.values();
  }

  /** `input` is stored as given (top level copied): pass data you will not mutate afterwards. */
  create(input: Partial<EcwidOrder>): EcwidOrder {
    const order = this.build(input, unixSeconds(this.clock()));
    this.orders.set(order.id, order);
    this.version++;
    return order;
  }

  update(orderId: string, patch: Partial<EcwidOrder>): OrderUpdate {
    const current = this.require(orderId);
    const changes = withoutServerFields(patch);
    validateFields(changes);
    const updateTimestamp = unixSeconds(this.clock());
    const after: EcwidOrder = { ...current, ...changes, updateDate: formatEcwidDate(updateTimestamp), updateTimestamp };
    this.orders.set(orderId, after);
    this.version++;
    return { before: { paymentStatus: current.paymentStatus, fulfillmentStatus: current.fulfillmentStatus }, after };
  }

  delete(orderId: string): EcwidOrder {
    const order = this.require(orderId);
    this.orders.delete(orderId);
    this.deleted.push({ internalId: order.internalId, deletedAt: unixSeconds(this.clock()) });
    this.forgetOldDeletions();
    this.version++;
    return order;
  }

  /** One scan per distinct filter between changes: paging through a result costs a slice per page. */
  search(filter: OrderFilter, offset: number, limit: number): StorePage<EcwidOrder> {
    const cached = this.lastSearch;
    let matches: EcwidOrder[];
    if (cached && cached.key === filter.key && cached.version === this.version) {
      matches = cached.matches;
    } else {
      matches = [];
      for (const order of this.orders.values()) {
        if (filter.matches(order)) {
          matches.push(order);
        }
      }
      this.lastSearch = { key: filter.key, version: this.version, matches };
    }
    return { total: matches.length, items: matches.slice(offset, offset + limit) };
  }

  /**
   * Deletions of the last 183 days (one exactly 183 days old still listed), in the order they happened; `from`/`to` are
   * inclusive UNIX seconds.
   */
  deletedHistory(from: number | undefined, to: number | undefined, offset: number, limit: number): StorePage<DeletedOrderEntry> {
    const oldest = this.forgetOldDeletions();
    const matches = this.deleted.filter(
      (entry) =>
        entry.deletedAt >= oldest && (from === undefined || entry.deletedAt >= from) && (to === undefined || entry.deletedAt <= to),
    );
    return { total: matches.length, items: matches.slice(offset, offset + limit) };
  }

  clear(): void {
    this.orders.clear();
    this.deleted.length = 0;
    this.nextInternalId = FIRST_INTERNAL_ID;
    this.lastSearch = undefined;
    this.version++;
  }

  /**
   * Returns the oldest deletion time still kept. Entries are in deletion order, so expired ones leave from the front; one
   * that a clock moved back hid behind a newer entry is skipped by the listing until it gets there.
   */
  private forgetOldDeletions(): number {
    const oldest = unixSeconds(this.clock()) - DELETED_HISTORY_SECONDS;
    while (this.deleted.length > 0 && this.deleted[0].deletedAt < oldest) {
      this.deleted.shift();
    }
    return oldest;
  }

  private require(orderId: string): EcwidOrder {
    const order = this.orders.get(orderId);
    if (!order) {
      throw new EcwidSandboxError(404, `Order '${orderId}' not found`, 'ORDER_NOT_FOUND');
    }
    return order;
  }

  private build(input: Partial<EcwidOrder>, nowSeconds: number): EcwidOrder {
    validateFields(input);
    const id = input.id ?? this.newOrderId();
    if (this.orders.has(id)) {
      throw new EcwidSandboxError(409, `Order id '${id}' already exists`);
    }
    const internalId = input.internalId ?? this.nextInternalId;
    if (!Number.isSafeInteger(internalId) || internalId < this.nextInternalId) {
      throw new EcwidSandboxError(409, `internalId must be an integer >= ${this.nextInternalId} (orders are kept in internalId order)`);
    }
    this.nextInternalId = internalId + 1;
    const createTimestamp = timeField('createDate', input.createTimestamp, input.createDate) ?? nowSeconds;
    const updateTimestamp = timeField('updateDate', input.updateTimestamp, input.updateDate) ?? createTimestamp;
    const items = input.items ?? [];
    const subtotal = input.subtotal ?? itemsSubtotal(items);
    const order: EcwidOrder = {
      id,
      internalId,
      orderNumber: internalId,
      vendorOrderNumber: id,
      email: '',
      total: subtotal + (input.tax ?? 0),
      subtotal,
      paymentStatus: 'AWAITING_PAYMENT',
      fulfillmentStatus: 'AWAITING_PROCESSING',
    };
    // Assigned after the input so ids and dates always agree with each other.
    return Object.assign(order, input, {
      id,
      internalId,
      items,
      subtotal,
      createDate: formatEcwidDate(createTimestamp),
      updateDate: formatEcwidDate(updateTimestamp),
      createTimestamp,
      updateTimestamp,
    });
  }

  private newOrderId(): string {
    for (;;) {
      let id = '';
      while (id.length < ID_LENGTH) {
        const byte = this.nextRandomByte();
        if (byte < UNBIASED_BYTE_LIMIT) {
          id += ID_ALPHABET[byte % ID_ALPHABET.length];
        }
      }
      if (!this.orders.has(id)) {
        return id;
      }
    }
  }

  /** Random bytes drawn in blocks: one crypto call per id would dominate a 100k-order seed. */
  private nextRandomByte(): number {
    if (this.idBytesOffset >= this.idBytes.length) {
      this.idBytes = randomBytes(8192);
      this.idBytesOffset = 0;
    }
    return this.idBytes[this.idBytesOffset++];
  }
}

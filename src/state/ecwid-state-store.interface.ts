import type { EcwidDedupStore } from './ecwid-dedup-store.interface';

/** What the poller remembers of an order, to tell the old statuses of its next change. */
export interface EcwidOrderSnapshot {
  /** String order id (`K8XTQ`). */
  orderId: string;
  internalId: number;
  paymentStatus?: string;
  fulfillmentStatus?: string;
  /** UNIX seconds of the change this snapshot reflects. */
  updateTimestamp: number;
}

export interface EcwidRecord {
  id: string;
  value: string;
}

/**
 * Everything the event sources need to lose nothing and deliver once: dedup ids (with TTL), poll cursors,
 * per-order snapshots and leases. Implementations for several replicas make `claim` and `acquireLease` atomic.
 */
export interface EcwidStateStore extends EcwidDedupStore {
  /** A poll cursor (UNIX seconds), by key such as `1003:orders`. */
  getCursor(key: string): Promise<number | undefined>;
  setCursor(key: string, value: number): Promise<void>;

  /** Snapshots of the given orders that exist, keyed by internal id. */
  getSnapshots(storeId: number, internalIds: number[]): Promise<Map<number, EcwidOrderSnapshot>>;
  putSnapshots(storeId: number, snapshots: EcwidOrderSnapshot[]): Promise<void>;
  deleteSnapshots(storeId: number, internalIds: number[]): Promise<void>;

  /**
   * Takes the lease, or renews it when `holder` already has it; true while `holder` holds it for `ttlMs` from now.
   * A holder that stops renewing loses it when the TTL runs out.
   */
  acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(key: string, holder: string): Promise<void>;

  /** Writes records of a collection (the outbox keeps its events and notifications here); values are opaque strings. */
  putRecords(collection: string, records: EcwidRecord[]): Promise<void>;
  /** Records of a collection in ascending id order (ids compare as strings), after `afterId` when given. */
  listRecords(collection: string, options?: { afterId?: string; limit?: number }): Promise<EcwidRecord[]>;
  deleteRecords(collection: string, ids: string[]): Promise<void>;
  /** Adds one to a counter and returns the new value, atomically. */
  increment(counter: string): Promise<number>;

  /** Closes connections or files; the store is not used afterwards. */
  close(): Promise<void>;
}

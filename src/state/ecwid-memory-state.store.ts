import { EcwidMemoryDedupStore } from './ecwid-memory-dedup.store';
import type { EcwidOrderSnapshot, EcwidRecord, EcwidStateStore } from './ecwid-state-store.interface';

interface Lease {
  holder: string;
  expiresAt: number;
}

/** All state in this process: for tests and single-process apps that accept losing it on restart. */
export class EcwidMemoryStateStore extends EcwidMemoryDedupStore implements EcwidStateStore {
  private readonly cursors = new Map<string, number>();
  private readonly snapshots = new Map<string, EcwidOrderSnapshot>();
  private readonly leases = new Map<string, Lease>();
  private readonly collections = new Map<string, Map<string, string>>();
  private readonly counters = new Map<string, number>();

  constructor(
    maxDedupEntries = 100_000,
    private readonly clock: () => number = Date.now,
  ) {
    super(maxDedupEntries, clock);
  }

  async getCursor(key: string): Promise<number | undefined> {
    return this.cursors.get(key);
  }

  async setCursor(key: string, value: number): Promise<void> {
    this.cursors.set(key, value);
  }

  async getSnapshots(storeId: number, internalIds: number[]): Promise<Map<number, EcwidOrderSnapshot>> {
    const found = new Map<number, EcwidOrderSnapshot>();
    for (const id of internalIds) {
      const snapshot = this.snapshots.get(`${storeId}:${id}`);
      if (snapshot) found.set(id, { ...snapshot });
    }
    return found;
  }

  async putSnapshots(storeId: number, snapshots: EcwidOrderSnapshot[]): Promise<void> {
    for (const snapshot of snapshots) this.snapshots.set(`${storeId}:${snapshot.internalId}`, { ...snapshot });
  }

  async deleteSnapshots(storeId: number, internalIds: number[]): Promise<void> {
    for (const id of internalIds) this.snapshots.delete(`${storeId}:${id}`);
  }

  async acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.clock();
    const lease = this.leases.get(key);
    if (lease && lease.holder !== holder && lease.expiresAt > now) return false;
    this.leases.set(key, { holder, expiresAt: now + ttlMs });
    return true;
  }

  async releaseLease(key: string, holder: string): Promise<void> {
    if (this.leases.get(key)?.holder === holder) this.leases.delete(key);
  }

  async putRecords(collection: string, records: EcwidRecord[]): Promise<void> {
    let items = this.collections.get(collection);
    if (!items) this.collections.set(collection, (items = new Map()));
    for (const record of records) items.set(record.id, record.value);
  }

  async listRecords(collection: string, options: { afterId?: string; limit?: number } = {}): Promise<EcwidRecord[]> {
    const ids = [...(this.collections.get(collection)?.keys() ?? [])].sort();
    const after = options.afterId;
    const selected = (after === undefined ? ids : ids.filter((id) => id > after)).slice(0, options.limit ?? Infinity);
    return selected.map((id) => ({ id, value: this.collections.get(collection)!.get(id)! }));
  }

  async deleteRecords(collection: string, ids: string[]): Promise<void> {
    const items = this.collections.get(collection);
    for (const id of ids) items?.delete(id);
  }

  async increment(counter: string): Promise<number> {
    const value = (this.counters.get(counter) ?? 0) + 1;
    this.counters.set(counter, value);
    return value;
  }

  async close(): Promise<void> {
    this.collections.clear();
    this.cursors.clear();
    this.snapshots.clear();
    this.leases.clear();
  }
}

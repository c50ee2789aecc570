import { EcwidMemoryDedupStore } from './ecwid-memory-dedup.store';
import type { EcwidOrderSnapshot, EcwidStateStore } from './ecwid-state-store.interface';

interface Lease {
  holder: string;
  expiresAt: number;
}

/** All state in this process: for tests and single-process apps that accept losing it on restart. */
export class EcwidMemoryStateStore extends EcwidMemoryDedupStore implements EcwidStateStore {
  private readonly cursors = new Map<string, number>();
  private readonly snapshots = new Map<string, EcwidOrderSnapshot>();
  private readonly leases = new Map<string, Lease>();

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

  async close(): Promise<void> {
    this.cursors.clear();
    this.snapshots.clear();
    this.leases.clear();
  }
}

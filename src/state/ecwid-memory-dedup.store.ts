import type { EcwidClaimOptions, EcwidDedupClaim, EcwidDedupStore } from './ecwid-dedup-store.interface';

/** An in-flight claim left by a crashed handler is given up after this long, so a retry is not refused forever. */
const IN_FLIGHT_TTL_MS = 5 * 60 * 1000;
/** Expired ids are swept at most this often; lookups treat them as absent meanwhile. */
const SWEEP_INTERVAL_MS = 1000;

interface Entry {
  done: boolean;
  expiresAt: number;
}

/**
 * Process-local dedup store: bounded (oldest ids evicted first) and with TTL. A Map keeps insertion order, so
 * eviction and expiry sweep from the front; both run in batches, since every Map iteration walks the slots that
 * deletions left behind, and doing it per call made a full store ten times slower.
 */
export class EcwidMemoryDedupStore implements EcwidDedupStore {
  private readonly entries = new Map<string, Entry>();
  private readonly slack: number;
  private nextSweepAt = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    this.slack = Math.max(1, Math.floor(maxEntries / 100));
  }

  get size(): number {
    return this.entries.size;
  }

  async claim(eventId: string, options: EcwidClaimOptions = {}): Promise<EcwidDedupClaim> {
    const now = this.now();
    const entry = this.entries.get(eventId);
    if (entry && entry.expiresAt > now && (entry.done || !options.takeOver)) return entry.done ? 'duplicate' : 'in-flight';
    if (entry) {
      entry.done = false;
      entry.expiresAt = now + IN_FLIGHT_TTL_MS;
    } else {
      this.entries.set(eventId, { done: false, expiresAt: now + IN_FLIGHT_TTL_MS });
      this.trim(now);
    }
    return 'claimed';
  }

  async complete(eventId: string, ttlSeconds: number): Promise<void> {
    const expiresAt = this.now() + ttlSeconds * 1000;
    const entry = this.entries.get(eventId);
    if (entry) {
      entry.done = true;
      entry.expiresAt = expiresAt;
    } else {
      this.entries.set(eventId, { done: true, expiresAt });
      this.trim(this.now());
    }
  }

  async release(eventId: string): Promise<void> {
    this.entries.delete(eventId);
  }

  private trim(now: number): void {
    const over = this.entries.size - this.maxEntries;
    // Past the bound by 1%: evict down to the bound in one pass, so a full store does not iterate per insert.
    if (over >= this.slack || (over > 0 && this.maxEntries < 100)) {
      let evict = over;
      for (const id of this.entries.keys()) {
        if (evict-- <= 0) break;
        this.entries.delete(id);
      }
    }
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + SWEEP_INTERVAL_MS;
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt > now) break;
      this.entries.delete(id);
    }
  }
}

import type { EcwidClaimOptions, EcwidDedupClaim, EcwidDedupStore } from './ecwid-dedup-store.interface';

/** An in-flight claim left by a crashed handler is given up after this long, so a retry is not refused forever. */
const IN_FLIGHT_TTL_MS = 5 * 60 * 1000;
/** Expired ids are swept at most this often; lookups treat them as absent meanwhile. */
const SWEEP_INTERVAL_MS = 1000;

/**
 * Process-local dedup store: bounded (oldest ids evicted first) and with TTL. A Map keeps insertion order, so
 * eviction and expiry sweep from the front; both run in batches, since every Map iteration walks the slots that
 * deletions left behind, and doing it per call made a full store ten times slower.
 */
export class EcwidMemoryDedupStore implements EcwidDedupStore {
  /** Expiry time by id, negated while in flight: a number, not an object, per id keeps a full store cheap to collect. */
  private readonly entries = new Map<string, number>();
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

  claim(eventId: string, options: EcwidClaimOptions = {}): EcwidDedupClaim {
    const now = this.now();
    const entry = this.entries.get(eventId);
    const done = entry !== undefined && entry > 0;
    if (entry !== undefined && Math.abs(entry) > now && (done || !options.takeOver)) return done ? 'duplicate' : 'in-flight';
    const known = entry !== undefined;
    this.entries.set(eventId, -(now + IN_FLIGHT_TTL_MS));
    if (!known) this.trim(now);
    return 'claimed';
  }

  complete(eventId: string, ttlSeconds: number): void {
    // The size tells whether the id was new: one lookup in a large map instead of two.
    const sizeBefore = this.entries.size;
    const now = this.now();
    this.entries.set(eventId, now + ttlSeconds * 1000);
    if (this.entries.size > sizeBefore) this.trim(now);
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
    for (const [id, expiry] of this.entries) {
      if (Math.abs(expiry) > now) break;
      this.entries.delete(id);
    }
  }
}

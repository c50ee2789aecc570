import type { EcwidClaimOptions, EcwidDedupClaim, EcwidDedupStore } from './ecwid-dedup-store.interface';

/** An in-flight claim left by a crashed handler is given up after this long, so a retry is not refused forever. */
const IN_FLIGHT_TTL_MS = 5 * 60 * 1000;

interface Entry {
  done: boolean;
  expiresAt: number;
}

/**
 * Process-local dedup store: bounded (oldest ids evicted first) and with TTL.
 * A Map keeps insertion order, so eviction and expiry sweep from the front.
 */
export class EcwidMemoryDedupStore implements EcwidDedupStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  async claim(eventId: string, options: EcwidClaimOptions = {}): Promise<EcwidDedupClaim> {
    const now = this.now();
    const entry = this.entries.get(eventId);
    if (entry && entry.expiresAt > now && (entry.done || !options.takeOver)) return entry.done ? 'duplicate' : 'in-flight';
    this.entries.delete(eventId);
    this.insert(eventId, { done: false, expiresAt: now + IN_FLIGHT_TTL_MS });
    return 'claimed';
  }

  async complete(eventId: string, ttlSeconds: number): Promise<void> {
    this.entries.delete(eventId);
    this.insert(eventId, { done: true, expiresAt: this.now() + ttlSeconds * 1000 });
  }

  async release(eventId: string): Promise<void> {
    this.entries.delete(eventId);
  }

  private insert(eventId: string, entry: Entry): void {
    this.entries.set(eventId, entry);
    this.sweep();
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) {
      if (this.entries.size > this.maxEntries || entry.expiresAt <= now) {
        this.entries.delete(id);
      } else {
        break;
      }
    }
  }
}

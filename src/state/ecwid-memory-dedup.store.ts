import { Logger } from '@nestjs/common';
import { EcwidLogThrottle } from '../events/ecwid-loggable';
import { ECWID_IN_FLIGHT_TTL_MS, type EcwidClaimOptions, type EcwidDedupClaim, type EcwidDedupStore } from './ecwid-dedup-store.interface';

/** Expired ids are swept at most this often; lookups treat them as absent meanwhile. */
const SWEEP_INTERVAL_MS = 1000;
/** Ids forgotten before their TTL ended are logged at most this often, with how many there were. */
const EARLY_EVICTION_LOG_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Process-local dedup store: bounded (oldest ids evicted first) and with TTL.
 *
 * Ids sit in a ring of slots in insertion order; a `Map` finds an id's slot, and the slot's expiry lives in a
 * typed array. The layout is for the webhook path: the map's values are small integers, stored inline, where
 * expiry times as values were a heap number per write for the collector to copy and promote; and eviction and
 * expiry take ids from the ring's old end, where walking a `Map` from its front also walks every entry deleted
 * since its last rehash.
 */
export class EcwidMemoryDedupStore implements EcwidDedupStore {
  /** Id -> slot. */
  private readonly slots = new Map<string, number>();
  /** The id in each slot; undefined once it was released or evicted. */
  private readonly ids: (string | undefined)[];
  /** Expiry time in ms per slot, negated while in flight. */
  private readonly expiries: Float64Array;
  /** Oldest slot, and how many slots from it are in use (released ones included until evicted). */
  private head = 0;
  private used = 0;
  private nextSweepAt = 0;
  private readonly logger = new Logger('EcwidState');
  private evictedEarlyTotal = 0;
  private readonly earlyEvictionLog = new EcwidLogThrottle(EARLY_EVICTION_LOG_INTERVAL_MS);

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    this.ids = new Array<string | undefined>(maxEntries);
    this.expiries = new Float64Array(maxEntries);
  }

  /** Ids currently remembered, done or in flight. */
  get size(): number {
    return this.slots.size;
  }

  /**
   * Ids evicted to make room while still inside their TTL: a redelivery of one, or a replay of it within
   * `maxEventAgeSeconds`, is handled as new. Above zero, the store is too small for the traffic.
   */
  get evictedEarly(): number {
    return this.evictedEarlyTotal;
  }

  claim(eventId: string, options?: EcwidClaimOptions): EcwidDedupClaim {
    const now = this.now();
    const slot = this.slots.get(eventId);
    if (slot === undefined) {
      this.insert(eventId, -(now + ECWID_IN_FLIGHT_TTL_MS), now);
      return 'claimed';
    }
    const expiry = this.expiries[slot];
    const done = expiry > 0;
    if (Math.abs(expiry) > now && (done || !options?.takeOver)) return done ? 'duplicate' : 'in-flight';
    this.expiries[slot] = -(now + ECWID_IN_FLIGHT_TTL_MS);
    return 'claimed';
  }

  complete(eventId: string, ttlSeconds: number): void {
    const now = this.now();
    const slot = this.slots.get(eventId);
    if (slot === undefined) this.insert(eventId, now + ttlSeconds * 1000, now);
    else this.expiries[slot] = now + ttlSeconds * 1000;
  }

  async release(eventId: string): Promise<void> {
    const slot = this.slots.get(eventId);
    if (slot === undefined) return;
    this.slots.delete(eventId);
    this.ids[slot] = undefined;
  }

  private insert(eventId: string, expiry: number, now: number): void {
    if (now >= this.nextSweepAt) this.sweep(now);
    if (this.used === this.maxEntries) this.makeRoom(now);
    const slot = (this.head + this.used) % this.maxEntries;
    this.used += 1;
    this.ids[slot] = eventId;
    this.expiries[slot] = expiry;
    this.slots.set(eventId, slot);
  }

  private makeRoom(now: number): void {
    if (this.ids[this.head] !== undefined && Math.abs(this.expiries[this.head]) > now) this.noteEarlyEviction(now);
    this.evictOldest();
  }

  private noteEarlyEviction(now: number): void {
    this.evictedEarlyTotal += 1;
    const forgotten = this.earlyEvictionLog.note(now);
    if (forgotten === 0) return;
    this.logger.warn(
      `The in-memory dedup store is full (${this.maxEntries} ids): ${forgotten} forgotten before their ` +
        'TTL ended, so a redelivery of one would be emitted again. Raise webhooks.dedupMaxEntries, or use ' +
        "state: { type: 'sqlite' } or { type: 'redis' }",
    );
  }

  private evictOldest(): void {
    const eventId = this.ids[this.head];
    if (eventId !== undefined) {
      this.slots.delete(eventId);
      this.ids[this.head] = undefined;
    }
    this.head = (this.head + 1) % this.maxEntries;
    this.used -= 1;
  }

  /** Drops expired ids from the old end; a still valid one there stops it, as ids mostly expire in order. */
  private sweep(now: number): void {
    this.nextSweepAt = now + SWEEP_INTERVAL_MS;
    while (this.used > 0 && (this.ids[this.head] === undefined || Math.abs(this.expiries[this.head]) <= now)) {
      this.evictOldest();
    }
  }
}

import { Logger } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { MAX_DEDUP_ENTRIES } from '../ecwid.constants';
import { EcwidLogThrottle } from '../events/ecwid-loggable';
import { ECWID_IN_FLIGHT_TTL_MS, type EcwidClaimOptions, type EcwidDedupClaim, type EcwidDedupSeen, type EcwidDedupStore } from './ecwid-dedup-store.interface';

/** Expired ids are swept at most this often; lookups treat them as absent meanwhile. */
const SWEEP_INTERVAL_MS = 1000;
/** Ids forgotten before their TTL ended are logged at most this often, with how many there were. */
const EARLY_EVICTION_LOG_INTERVAL_MS = 60 * 60 * 1000;
/** An index cell that holds no slot. */
const EMPTY = 0;

/** The smallest power of two at or above `n`. */
function powerOfTwoAtLeast(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}

/**
 * Process-local dedup store: bounded (oldest ids evicted first) and with TTL.
 *
 * Ids sit in a ring of slots in insertion order, each slot's expiry and hash in typed arrays. An open-addressing
 * index (linear probing, at most half full) finds an id's slot: each cell is two 32-bit numbers, the id's hash and
 * its slot + 1, so a lookup compares hashes within one or two cache lines and reads an id's text only when the hashes
 * match. It replaced a `Map`, whose lookups in a table of 100,000 ids followed pointers through several cold cache
 * lines: a claim took about 3 us inside the bench server, a tenth of the webhook route's own cost. Eviction and expiry
 * take ids from the ring's old end; a removed index cell is filled by shifting the rest of its run back, so no
 * tombstones build up.
 */
export class EcwidMemoryDedupStore implements EcwidDedupStore {
  /** The id in each slot; undefined once it was released or evicted. */
  private readonly ids: (string | undefined)[];
  /** Expiry time in ms per slot, negated while in flight. */
  private readonly expiries: Float64Array;
  /** Each slot's id hash: eviction finds the slot's index cell by it without hashing the id again. */
  private readonly hashes: Int32Array;
  /** The index: cell i is `[hash, slot + 1]` at `2i`, `2i + 1`; a slot of EMPTY marks a free cell. */
  private readonly cells: Int32Array;
  private readonly mask: number;
  /** Per store, so which ids share a probe run cannot be worked out in advance. */
  private readonly seed = randomInt(2 ** 31);
  /** Ids currently remembered. */
  private count = 0;
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
    if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > MAX_DEDUP_ENTRIES) {
      throw new RangeError(`maxEntries must be a whole number from 1 to ${MAX_DEDUP_ENTRIES}`);
    }
    this.ids = new Array<string | undefined>(maxEntries);
    this.expiries = new Float64Array(maxEntries);
    this.hashes = new Int32Array(maxEntries);
    const cells = powerOfTwoAtLeast(2 * maxEntries);
    this.cells = new Int32Array(2 * cells);
    this.mask = cells - 1;
  }

  /** Ids currently remembered, done or in flight. */
  get size(): number {
    return this.count;
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
    const hash = this.hashOf(eventId);
    const slot = this.slotOf(eventId, hash);
    if (slot < 0) {
      this.insert(eventId, hash, -(now + ECWID_IN_FLIGHT_TTL_MS), now);
      return 'claimed';
    }
    const expiry = this.expiries[slot];
    const done = expiry > 0;
    if (Math.abs(expiry) > now && (done || !options?.takeOver)) return done ? 'duplicate' : 'in-flight';
    this.expiries[slot] = -(now + ECWID_IN_FLIGHT_TTL_MS);
    return 'claimed';
  }

  peek(eventId: string): EcwidDedupSeen {
    const slot = this.slotOf(eventId, this.hashOf(eventId));
    if (slot < 0) return undefined;
    const expiry = this.expiries[slot];
    if (Math.abs(expiry) <= this.now()) return undefined;
    return expiry > 0 ? 'duplicate' : 'in-flight';
  }

  complete(eventId: string, ttlSeconds: number): void {
    const now = this.now();
    const hash = this.hashOf(eventId);
    const slot = this.slotOf(eventId, hash);
    if (slot < 0) this.insert(eventId, hash, now + ttlSeconds * 1000, now);
    else this.expiries[slot] = now + ttlSeconds * 1000;
  }

  async release(eventId: string): Promise<void> {
    const hash = this.hashOf(eventId);
    const cell = this.cellOf(eventId, hash);
    if (cell < 0) return;
    this.ids[this.cells[2 * cell + 1] - 1] = undefined;
    this.removeCell(cell);
  }

  /**
   * FNV-1a over the id's UTF-16 code units, from a random seed, then MurmurHash3's finalizer, so that ids differing
   * only in their last characters still spread over the index's low bits. Protected for tests that force collisions.
   */
  protected hashOf(eventId: string): number {
    let hash = this.seed ^ 0x811c9dc5;
    for (let i = 0; i < eventId.length; i += 1) hash = Math.imul(hash ^ eventId.charCodeAt(i), 0x01000193);
    hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
    hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
    return hash ^ (hash >>> 16);
  }

  /** The slot that holds `eventId`, or -1. */
  private slotOf(eventId: string, hash: number): number {
    const cell = this.cellOf(eventId, hash);
    return cell < 0 ? -1 : this.cells[2 * cell + 1] - 1;
  }

  /** The index cell that holds `eventId`, or -1: a probe run ends at the first free cell. */
  private cellOf(eventId: string, hash: number): number {
    const { cells, mask } = this;
    for (let cell = hash & mask; ; cell = (cell + 1) & mask) {
      const slot = cells[2 * cell + 1];
      if (slot === EMPTY) return -1;
      if (cells[2 * cell] === hash && this.ids[slot - 1] === eventId) return cell;
    }
  }

  /** The index cell that points at `slot`, found by the slot's hash: it is in the run from that hash's home cell. */
  private cellOfSlot(slot: number): number {
    const { cells, mask } = this;
    for (let cell = this.hashes[slot] & mask; ; cell = (cell + 1) & mask) {
      if (cells[2 * cell + 1] === slot + 1) return cell;
    }
  }

  /**
   * Frees an index cell, moving later cells of its run back into the gap when the gap lies between their home cell
   * and where they sit (Knuth's algorithm R for linear probing), so every run stays unbroken.
   */
  private removeCell(cell: number): void {
    const { cells, mask } = this;
    let gap = cell;
    for (let next = (gap + 1) & mask; cells[2 * next + 1] !== EMPTY; next = (next + 1) & mask) {
      const home = cells[2 * next] & mask;
      // The entry at `next` may move to `gap` unless its home lies cyclically in (gap, next].
      const stays = gap <= next ? gap < home && home <= next : gap < home || home <= next;
      if (stays) continue;
      cells[2 * gap] = cells[2 * next];
      cells[2 * gap + 1] = cells[2 * next + 1];
      gap = next;
    }
    cells[2 * gap] = 0;
    cells[2 * gap + 1] = EMPTY;
    this.count -= 1;
  }

  private insert(eventId: string, hash: number, expiry: number, now: number): void {
    if (now >= this.nextSweepAt) this.sweep(now);
    if (this.used === this.maxEntries) this.makeRoom(now);
    const slot = (this.head + this.used) % this.maxEntries;
    this.used += 1;
    this.ids[slot] = eventId;
    this.expiries[slot] = expiry;
    this.hashes[slot] = hash;
    const { cells, mask } = this;
    let cell = hash & mask;
    while (cells[2 * cell + 1] !== EMPTY) cell = (cell + 1) & mask;
    cells[2 * cell] = hash;
    cells[2 * cell + 1] = slot + 1;
    this.count += 1;
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
    if (this.ids[this.head] !== undefined) {
      this.removeCell(this.cellOfSlot(this.head));
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

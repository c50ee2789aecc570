import { Logger } from '@nestjs/common';
import { EcwidMemoryDedupStore } from 'nestjs-ecwid';

describe('EcwidMemoryDedupStore', () => {
  let now = 1_000_000;
  const clock = () => now;
  // Evicting ids inside their TTL warns; the tests that evict on purpose check it here, not on the console.
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  it('claims an id once, reports it in flight, then as a duplicate after completion', async () => {
    const store = new EcwidMemoryDedupStore(10, clock);
    expect(await store.claim('a')).toBe('claimed');
    expect(await store.claim('a')).toBe('in-flight');
    await store.complete('a', 60);
    expect(await store.claim('a')).toBe('duplicate');
  });

  it('lets a caller take over an in-flight claim, but never a completed one', async () => {
    const store = new EcwidMemoryDedupStore(10, clock);
    await store.claim('a');
    expect(await store.claim('a', { takeOver: true })).toBe('claimed');
    await store.complete('a', 60);
    expect(await store.claim('a', { takeOver: true })).toBe('duplicate');
  });

  it('answers peek without taking room: ids asked about evict none of those it keeps', async () => {
    const store = new EcwidMemoryDedupStore(2, clock);
    await store.claim('a');
    await store.complete('a', 60);
    for (const other of ['b', 'c', 'd', 'e']) expect(store.peek(other)).toBeUndefined();
    expect(store.peek('a')).toBe('duplicate');
    expect(store.size).toBe(1);
  });

  it('forgets a released id so a redelivery is handled again', async () => {
    const store = new EcwidMemoryDedupStore(10, clock);
    await store.claim('a');
    await store.release('a');
    expect(await store.claim('a')).toBe('claimed');
  });

  it('forgets a completed id after its TTL', async () => {
    const store = new EcwidMemoryDedupStore(10, clock);
    await store.claim('a');
    await store.complete('a', 60);
    now += 59_000;
    expect(await store.claim('a')).toBe('duplicate');
    now += 2_000;
    expect(await store.claim('a')).toBe('claimed');
  });

  it('gives up an in-flight claim whose handler never finished', async () => {
    const store = new EcwidMemoryDedupStore(10, clock);
    await store.claim('stuck');
    now += 5 * 60 * 1000 + 1;
    expect(await store.claim('stuck')).toBe('claimed');
  });

  it('stays within its bound, evicting the oldest ids first', async () => {
    const store = new EcwidMemoryDedupStore(3, clock);
    for (const id of ['a', 'b', 'c', 'd']) {
      await store.claim(id);
      await store.complete(id, 60);
    }
    expect(store.size).toBe(3);
    expect(store.evictedEarly).toBe(1);
    expect(await store.claim('d')).toBe('duplicate');
    expect(await store.claim('a')).toBe('claimed');
  });

  it('stays within its bound when ids are completed without a claim', async () => {
    const store = new EcwidMemoryDedupStore(3, clock);
    for (const id of ['a', 'b', 'c', 'd', 'e']) await store.complete(id, 60);
    expect(store.size).toBe(3);
    expect(await store.claim('e')).toBe('duplicate');
    expect(await store.claim('a')).toBe('claimed');
  });

  describe('when ids must be evicted before their TTL ends', () => {
    it('counts them and warns at most once an hour, with how many since the last warning', async () => {
      const store = new EcwidMemoryDedupStore(2, clock);
      for (const id of ['a', 'b', 'c', 'd']) await store.complete(id, 86_400);
      expect(store.evictedEarly).toBe(2);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatch(/full \(2 ids\): 1 forgotten before their TTL ended.*dedupMaxEntries/);

      now += 59 * 60 * 1000;
      await store.complete('e', 86_400);
      expect(warn).toHaveBeenCalledTimes(1);
      now += 2 * 60 * 1000;
      await store.complete('f', 86_400);
      expect(store.evictedEarly).toBe(4);
      expect(warn).toHaveBeenCalledTimes(2);
      expect(warn.mock.calls[1][0]).toMatch(/: 3 forgotten before/);
    });

    it('does not count ids whose TTL had ended, nor ones released', async () => {
      const store = new EcwidMemoryDedupStore(2, clock);
      await store.complete('a', 60);
      await store.claim('b');
      await store.release('b');
      now += 61_000;
      for (const id of ['c', 'd']) await store.complete(id, 60);
      expect(store.evictedEarly).toBe(0);
      expect(warn).not.toHaveBeenCalled();
    });
  });

  it('does not evict an id claimed again after a release through the slot it held before', async () => {
    const store = new EcwidMemoryDedupStore(3, clock);
    await store.claim('a');
    await store.release('a');
    await store.claim('a');
    await store.claim('b');
    // The ring is full (a's old slot, a, b): c takes the place of a's old slot, not of a.
    await store.claim('c');
    expect(await store.claim('a')).toBe('in-flight');
    expect(store.size).toBe(3);
    await store.claim('d');
    expect(await store.claim('a')).toBe('claimed');
  });

  describe('against a plain model of its rules, over random claims, completions and releases', () => {
    /**
     * The store's rules, written for clarity: ids in a ring in insertion order, at most `max` slots (released ones
     * included until they leave the old end), expired ids swept from the old end at most once a second.
     */
    class Model {
      private ring: { id: string; expiry: number; released: boolean }[] = [];
      private nextSweepAt = 0;
      constructor(private readonly max: number) {}

      get size(): number {
        return this.ring.filter((entry) => !entry.released).length;
      }

      claim(id: string, at: number, takeOver = false): string {
        const entry = this.live(id);
        if (!entry) {
          this.insert(id, -(at + 300_000), at);
          return 'claimed';
        }
        const done = entry.expiry > 0;
        if (Math.abs(entry.expiry) > at && (done || !takeOver)) return done ? 'duplicate' : 'in-flight';
        entry.expiry = -(at + 300_000);
        return 'claimed';
      }

      complete(id: string, ttlSeconds: number, at: number): void {
        const entry = this.live(id);
        if (entry) entry.expiry = at + ttlSeconds * 1000;
        else this.insert(id, at + ttlSeconds * 1000, at);
      }

      release(id: string): void {
        const entry = this.live(id);
        if (entry) entry.released = true;
      }

      private live(id: string) {
        return this.ring.find((entry) => entry.id === id && !entry.released);
      }

      private insert(id: string, expiry: number, at: number): void {
        if (at >= this.nextSweepAt) {
          this.nextSweepAt = at + 1000;
          const gone = (entry: { expiry: number; released: boolean }) => entry.released || Math.abs(entry.expiry) <= at;
          while (this.ring.length > 0 && gone(this.ring[0])) this.ring.shift();
        }
        if (this.ring.length === this.max) this.ring.shift();
        this.ring.push({ id, expiry, released: false });
      }
    }

    /** Ids of only three hashes, whose home cells are the index's last two and its second: runs are long and wrap around. */
    class CollidingStore extends EcwidMemoryDedupStore {
      protected override hashOf(eventId: string): number {
        return [-2, -1, 1][eventId.length % 3];
      }
    }

    // 40 slots keep the ring evicting live ids; 400 and 3,000 let most ids expire, or be released, before they leave.
    it.each([
      [40, EcwidMemoryDedupStore],
      [400, EcwidMemoryDedupStore],
      [3000, EcwidMemoryDedupStore],
      [40, CollidingStore],
      [400, CollidingStore],
    ])('answers as the model does with room for %d ids (%p)', async (max, Store) => {
      const random = seeded(max);
      const ids = Array.from({ length: Math.ceil(max * 0.75) + 5 }, (_, i) => `1003:event-${i}`);
      let at = 5_000_000;
      const store = new Store(max, () => at);
      const model = new Model(max);
      for (let step = 0; step < 20_000; step += 1) {
        at += Math.floor(random() * 40);
        const id = ids[Math.floor(random() * ids.length)];
        const roll = random();
        if (roll < 0.5) {
          const takeOver = random() < 0.1;
          expect([step, await store.claim(id, { takeOver })]).toEqual([step, model.claim(id, at, takeOver)]);
        } else if (roll < 0.85) {
          // A TTL of 1 to 60 s, so ids expire and are swept while others still count.
          const ttl = 1 + Math.floor(random() * 60);
          await store.complete(id, ttl);
          model.complete(id, ttl, at);
        } else {
          await store.release(id);
          model.release(id);
        }
        expect([step, store.size]).toEqual([step, model.size]);
      }
    });
  });
});

/** A small deterministic generator (mulberry32), so a failure replays the same way. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

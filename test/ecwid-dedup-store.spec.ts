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
});

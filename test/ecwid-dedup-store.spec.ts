import { EcwidMemoryDedupStore } from 'nestjs-ecwid';

describe('EcwidMemoryDedupStore', () => {
  let now = 1_000_000;
  const clock = () => now;

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

import { walkPages } from '../src/orders/ecwid-page-walk';

/** A small deterministic generator, so a failing case can be replayed from its seed. */
function random(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state % below;
  };
}

type Remover = (list: number[], yielded: ReadonlySet<number>, limit: number, pick: (below: number) => number) => void;

/** Removes up to `count` items of `list` chosen by `among`. */
function removeSome(list: number[], count: number, among: (id: number) => boolean, pick: (below: number) => number): void {
  for (let i = 0; i < count; i += 1) {
    const candidates = list.filter(among);
    if (candidates.length === 0) return;
    list.splice(list.indexOf(candidates[pick(candidates.length)]), 1);
  }
}

/**
 * What may leave the result between two reads, relative to the items the walk has yielded so far. The walk finds its
 * place after `a` items left ahead of the last page it read, `k` of that page still there, when `a` < limit + k - 2,
 * and in pages of one item after one.
 */
const REMOVERS: Record<string, Remover> = {
  // Only items the walk has not reached, under two pages' worth: nothing it has not read moves.
  ahead: (list, yielded, limit, pick) => removeSome(list, 1 + pick(Math.max(1, 2 * limit - 3)), (id) => !yielded.has(id), pick),
  // Only items already yielded, as in a loop that moves each order out of its filter: whole pages at times.
  behind: (list, yielded, _limit, pick) => removeSome(list, pick(3) === 0 ? 25 : pick(8), (id) => yielded.has(id), pick),
  // Behind, but never the last item yielded, and under a page's worth ahead.
  behindButTheLastAndAhead: (list, yielded, limit, pick) => {
    const last = list.filter((id) => yielded.has(id)).at(-1);
    removeSome(list, pick(20), (id) => yielded.has(id) && id !== last, pick);
    removeSome(list, pick(Math.max(1, limit - 1)), (id) => !yielded.has(id), pick);
  },
  anywhere: (list, _yielded, _limit, pick) => removeSome(list, pick(20), () => true, pick),
};

interface Walked {
  yielded: number[];
  survivors: number[];
  reads: number;
}

/** Walks a list of `size` ids in pages of `limit`, removing items with `remove` before some of the reads. */
async function walk(seed: number, remove: Remover): Promise<Walked> {
  const pick = random(seed);
  const size = 1 + pick(120);
  const limit = 1 + pick(12);
  const list = Array.from({ length: size }, (_, i) => i);
  const yielded: number[] = [];
  const seen = new Set<number>();
  let reads = 0;
  let removedAt = -1;
  const fetchPage = async (offset: number, pageLimit: number) => {
    reads += 1;
    if (reads > 10 * size + 20) throw new Error(`seed ${seed}: the walk does not end`);
    // At most once between two items yielded, so items leaving never add up over the reads that find the place.
    if (yielded.length > removedAt && pick(3) === 0) {
      remove(list, seen, limit, pick);
      removedAt = yielded.length;
    }
    return { total: list.length, count: 0, offset, limit: pageLimit, items: list.slice(offset, offset + pageLimit).map((id) => ({ id })) };
  };
  for await (const { id } of walkPages(fetchPage, 0, limit)) {
    yielded.push(id);
    seen.add(id);
  }
  return { yielded, survivors: list, reads };
}

const SEEDS = Array.from({ length: 400 }, (_, i) => 7919 * (i + 1));
const duplicatesOf = (ids: number[]) => ids.filter((id, i) => ids.indexOf(id) !== i);

describe('walkPages, while items leave the result', () => {
  it.each(['ahead', 'behind', 'behindButTheLastAndAhead'])(
    'yields every item still there once, in order, when they leave %s',
    async (where) => {
      for (const seed of SEEDS) {
        const { yielded, survivors } = await walk(seed, REMOVERS[where]);
        // Every item left at the end was yielded, once, and in the result's order.
        expect({ seed, yielded: yielded.filter((id) => survivors.includes(id)) }).toEqual({ seed, yielded: survivors });
        expect({ seed, duplicates: duplicatesOf(yielded) }).toEqual({ seed, duplicates: [] });
      }
    },
  );

  it('misses nothing when they leave from anywhere, the last page read included', async () => {
    for (const seed of SEEDS) {
      const { yielded, survivors } = await walk(seed, REMOVERS.anywhere);
      expect({ seed, missed: survivors.filter((id) => !yielded.includes(id)) }).toEqual({ seed, missed: [] });
    }
  });

  it('finds its place after more than a page of items ahead of it left', async () => {
    const list = Array.from({ length: 500 }, (_, i) => i);
    const offsets: number[] = [];
    const yielded: number[] = [];
    const fetchPage = async (offset: number, limit: number) => {
      offsets.push(offset);
      // After two pages, a third of the orders not read yet leave at once (a bulk delete, say).
      if (yielded.length === 200 && list.length === 500) list.splice(300, 150);
      return { total: list.length, count: 0, offset, limit, items: list.slice(offset, offset + limit).map((id) => ({ id })) };
    };
    for await (const { id } of walkPages(fetchPage, 0, 100)) yielded.push(id);
    expect(yielded).toEqual([...Array.from({ length: 300 }, (_, i) => i), ...Array.from({ length: 50 }, (_, i) => 450 + i)]);
    // It reads from one place before the farthest it could have to go back, and pages on past the last page it read.
    expect(offsets).toEqual([0, 100, 200, 49, 149, 249, 349]);
  });

  /** Walks `list` in pages of `limit`, applying `before[n]` to it before the nth read; answers what was yielded. */
  async function scripted(list: number[], limit: number, before: Record<number, (list: number[]) => void>): Promise<number[]> {
    let reads = 0;
    const fetchPage = async (offset: number, pageLimit: number) => {
      reads += 1;
      if (reads > 200) throw new Error('the walk does not end');
      before[reads]?.(list);
      return { total: list.length, count: 0, offset, limit: pageLimit, items: list.slice(offset, offset + pageLimit).map((id) => ({ id })) };
    };
    const yielded: number[] = [];
    for await (const { id } of walkPages(fetchPage, 0, limit)) yielded.push(id);
    return yielded;
  }

  it('misses no item that stayed when the total grows and then shrinks while it finds its place', async () => {
    const list = Array.from({ length: 100 }, (_, i) => i);
    const yielded = await scripted(list, 10, {
      // After two pages: nine items ahead of the walk leave, and one behind it.
      3: (l) => l.splice(l.indexOf(0), 1) && l.splice(l.indexOf(50), 9),
      // Twenty join at the end while it finds its place, and five of them leave again.
      4: (l) => l.push(...Array.from({ length: 20 }, (_, i) => 100 + i)),
      5: (l) => l.splice(l.indexOf(115), 5),
    });
    expect(list.filter((id) => !yielded.includes(id))).toEqual([]);
    expect(yielded.filter((id, i) => yielded.indexOf(id) !== i)).toEqual([]);
  });

  it('misses no item that stayed when the total shrinks, grows and shrinks again while it finds its place', async () => {
    const list = Array.from({ length: 40 }, (_, i) => i);
    const yielded = await scripted(list, 5, {
      // After four pages: six behind the walk leave (two of the last page read) and four ahead; then seven join at
      // the end, and two more behind leave.
      5: (l) => [0, 1, 2, 8, 15, 16, 26, 32, 37, 38].forEach((id) => l.splice(l.indexOf(id), 1)),
      6: (l) => l.push(...Array.from({ length: 7 }, (_, i) => 1000 + i)),
      7: (l) => [3, 4].forEach((id) => l.splice(l.indexOf(id), 1)),
    });
    expect(list.filter((id) => !yielded.includes(id))).toEqual([]);
  });

  it('yields nothing twice in pages of one item when an item ahead of it leaves', async () => {
    const list = Array.from({ length: 10 }, (_, i) => i);
    const yielded = await scripted(list, 1, { 4: (l) => l.splice(l.indexOf(7), 1) });
    expect(yielded).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 9]);
  });

  it('keeps to two reads a page while the walk moves each item it yields out of the result', async () => {
    const list = Array.from({ length: 300 }, (_, i) => i);
    let reads = 0;
    const fetchPage = async (offset: number, limit: number) => {
      reads += 1;
      return { total: list.length, count: 0, offset, limit, items: list.slice(offset, offset + limit).map((id) => ({ id })) };
    };
    const yielded: number[] = [];
    for await (const { id } of walkPages(fetchPage, 0, 100)) {
      yielded.push(id);
      list.splice(list.indexOf(id), 1);
    }
    expect(yielded).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(reads).toBeLessThanOrEqual(2 * 4);
  });
});

import type { EcwidPage } from './ecwid-order.model';

/**
 * Walks a paged result that may change under it, one page in memory at a time. Items leaving it (an order updated out
 * of the filter, or deleted) move later ones up: on a smaller total the offset steps back by as much and the page is
 * read again, skipping the ids of the page before, the only ones kept. An item is yielded twice only if more than a
 * page shifted; one leaving while another joins keeps the total, and can hide a move.
 */
export async function* walkPages<T extends { id: unknown }>(
  fetchPage: (offset: number, limit: number) => Promise<EcwidPage<T>>,
  startOffset: number,
  limit: number,
): AsyncGenerator<T, void, undefined> {
  let offset = startOffset;
  let lastTotal: number | undefined;
  let lastIds = new Set<unknown>();
  for (;;) {
    const page = await fetchPage(offset, limit);
    if (lastTotal !== undefined && page.total < lastTotal) {
      offset = Math.max(startOffset, offset - (lastTotal - page.total));
      lastTotal = page.total;
      continue;
    }
    lastTotal = page.total;
    for (const item of page.items) if (!lastIds.has(item.id)) yield item;
    lastIds = new Set(page.items.map((item) => item.id));
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) return;
  }
}

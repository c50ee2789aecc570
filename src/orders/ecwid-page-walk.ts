import type { EcwidPage } from './ecwid-order.model';

/**
 * Walks a paged result that may change under it, one page in memory at a time. Only `total` tells that items left,
 * not where: behind the walk (which moves every later item up), or ahead of it (which moves nothing the walk has not
 * read yet). So on a smaller total the walk finds its place by the page it read last, the anchor: the items of it
 * still there sit together, between the anchor's old end and as many places before it as items left, and the walk
 * goes on after the last of them. When none of them is on the first page read to find them (every item of the anchor
 * left, or more than two pages' worth left ahead of the walk between two reads), it goes on where the first item not
 * yet yielded can be at the earliest: nothing is missed, and some items already yielded may come again. An item that
 * joins the result may or may not be seen, and one joining while another leaves keeps the total, hiding a move.
 */
export async function* walkPages<T extends { id: unknown }>(
  fetchPage: (offset: number, limit: number) => Promise<EcwidPage<T>>,
  startOffset: number,
  limit: number,
): AsyncGenerator<T, void, undefined> {
  let offset = startOffset;
  let lastTotal: number | undefined;
  /** The anchor's ids, and the offset just past it. */
  let anchor = new Set<unknown>();
  let anchorEnd = startOffset;
  /** How many items left since the anchor was read: every drop of the total, whatever joined in between. */
  let departed = 0;
  /** While finding its place: `departed` when it began, and whether any of the anchor is seen yet. */
  let left: number | undefined;
  let anchorSeen = false;
  for (;;) {
    const page = await fetchPage(offset, limit);
    const { items } = page;
    if (lastTotal !== undefined && page.total < lastTotal) {
      // Joins are not taken off: one that joined at the end moved nothing, and counting it in could skip what stayed.
      departed += lastTotal - page.total;
      left = departed;
      anchorSeen = false;
      lastTotal = page.total;
      offset = Math.max(startOffset, anchorEnd - 1 - left);
      continue;
    }
    lastTotal = page.total;
    let from = 0;
    if (left !== undefined) {
      // Items before the anchor's first are older still; the walk goes on after its last.
      if (!anchorSeen) {
        while (from < items.length && !anchor.has(items[from].id)) from += 1;
        anchorSeen = from < items.length;
      }
      while (anchorSeen && from < items.length && anchor.has(items[from].id)) from += 1;
      const more = items.length === limit && offset + items.length < Math.min(page.total, anchorEnd);
      if (anchorSeen && from === items.length && more) {
        // The anchor's last item may be on the next page.
        offset += items.length;
        continue;
      }
      if (!anchorSeen) {
        const resume = Math.max(startOffset, anchorEnd - left);
        left = undefined;
        // Nothing of this page is past where the walk resumes: read on from there, still skipping the anchor's items.
        if (resume >= offset + items.length && items.length > 0) {
          offset = resume;
          continue;
        }
        from = resume - offset;
      }
      left = undefined;
    }
    for (let i = from; i < items.length; i += 1) if (!anchor.has(items[i].id)) yield items[i];
    anchor = new Set(items.map((item) => item.id));
    departed = 0;
    offset += items.length;
    anchorEnd = offset;
    if (items.length === 0 || offset >= page.total) return;
  }
}

import type { EcwidOrder } from './ecwid-order.model';
import type { EcwidOrdersService } from './ecwid-orders.service';

/**
 * The order, or a failure saying so once `timeoutMs` has passed; the read ends then, retries and all. For sources that
 * must answer their sender in time (a webhook's hydration, an ION's read-back).
 */
export function readOrderWithin(orders: EcwidOrdersService, orderId: string, timeoutMs: number): Promise<EcwidOrder | null> {
  return orders.get(orderId, { signal: AbortSignal.timeout(timeoutMs) }).catch((error: unknown) => {
    // Told by its name: the signal's DOMException is not an Error of every realm (jest's, say).
    const timedOut = (error as { name?: unknown } | null)?.name === 'TimeoutError';
    throw timedOut ? new Error(`no answer within ${timeoutMs} ms`, { cause: error }) : error;
  });
}

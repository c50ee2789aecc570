/**
 * An in-flight claim left by a crashed handler is given up after this long, so a retry is not refused forever.
 * Well under Ecwid's first retry, 15 minutes after a failed delivery.
 */
export const ECWID_IN_FLIGHT_TTL_MS = 5 * 60 * 1000;

/** What a claim on an event id found. */
export type EcwidDedupClaim = 'claimed' | 'duplicate' | 'in-flight';

export interface EcwidClaimOptions {
  /**
   * Take over an in-flight claim: for a caller that knows its holder is gone. The poller that holds a store's
   * lease is the only legitimate handler of that store's polling events, so their in-flight claims are stale.
   */
  takeOver?: boolean;
}

/**
 * Remembers which event ids were handled, so a redelivered event is not emitted twice.
 * A claim marks an id in flight, for a lease the store chooses so that a crashed handler does not block it forever;
 * `complete` records it as done for `ttlSeconds`; `release` forgets a failed one so the sender's retry is handled
 * again. Implementations for several replicas must make `claim` atomic. A store that answers at once may return
 * plain values: on the webhook path every promise avoided counts.
 */
/** What a claim would find, without claiming: handled, being handled, or neither (`undefined`). */
export type EcwidDedupSeen = 'duplicate' | 'in-flight' | undefined;

export interface EcwidDedupStore {
  claim(eventId: string, options?: EcwidClaimOptions): EcwidDedupClaim | Promise<EcwidDedupClaim>;
  /**
   * What `claim` would find, changing nothing. Optional: without it, a store is asked by a claim released at once,
   * which a bounded store counts against its room.
   */
  peek?(eventId: string): EcwidDedupSeen | Promise<EcwidDedupSeen>;
  complete(eventId: string, ttlSeconds: number): void | Promise<void>;
  release(eventId: string): Promise<void>;
}

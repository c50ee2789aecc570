/** Refusal to wait out a pause longer than the caller allows. */
export class EcwidRateLimitPause extends Error {
  override readonly name = 'EcwidRateLimitPause';

  constructor(readonly remainingMs: number) {
    super(`Paused for another ${Math.ceil(remainingMs / 1000)} s after a 429`);
  }
}

/**
 * Keeps one token under N requests in any rolling window: a ring of the last N start times.
 * A request may start once the oldest of those is a full window old, which never exceeds the limit
 * and still allows the whole ceiling to be used.
 */
export class EcwidRateLimiter {
  private readonly starts: number[];
  private next = 0;
  private pausedUntil = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly limit: number,
    readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {
    this.starts = new Array<number>(limit).fill(-Infinity);
  }

  /**
   * Resolves when the caller may send; callers are served first come, first served. Rejects with EcwidRateLimitPause
   * when, at the caller's turn, a pause has longer than `maxPauseMs` left to run.
   */
  acquire(maxPauseMs = Infinity): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot(maxPauseMs));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** After a 429, nobody on this token sends until `untilMs`. */
  pause(untilMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, untilMs);
  }

  private async waitForSlot(maxPauseMs: number): Promise<void> {
    for (;;) {
      const now = this.now();
      if (this.pausedUntil - now > maxPauseMs) throw new EcwidRateLimitPause(this.pausedUntil - now);
      const freeAt = Math.max(this.starts[this.next] + this.windowMs, this.pausedUntil);
      if (freeAt <= now) {
        this.starts[this.next] = now;
        this.next = (this.next + 1) % this.limit;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, freeAt - now));
    }
  }
}

/**
 * One limiter per token per process, so two modules (or the poller and the API) sharing a token share the budget.
 * The window gets a 1% margin (at least 50 ms): requests started a full window apart can arrive closer than that.
 */
export class EcwidRateLimiterRegistry {
  private static readonly limiters = new Map<string, EcwidRateLimiter>();

  static for(key: string, limit: number, windowMs = 60_000): EcwidRateLimiter {
    const id = `${key}:${limit}:${windowMs}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = new EcwidRateLimiter(limit, windowMs + Math.max(50, windowMs / 100));
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}

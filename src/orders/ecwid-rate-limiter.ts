import { Logger } from '@nestjs/common';
import { sleep } from './ecwid-sleep';

/** A caller the limiter will not make wait: the token has no room for another `remainingMs`, for the reason given. */
export abstract class EcwidRateLimitRefusal extends Error {
  constructor(
    readonly remainingMs: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** Refusal to wait out a pause after a 429 longer than the caller allows. */
export class EcwidRateLimitPause extends EcwidRateLimitRefusal {
  override readonly name = 'EcwidRateLimitPause';

  constructor(remainingMs: number) {
    super(remainingMs, `Ecwid's Retry-After holds this token for another ${Math.ceil(remainingMs / 1000)} s`);
  }
}

/** Refusal to wait at all once the caller's `stopping` signal has aborted (the application shuts down). */
export class EcwidRateLimitStopped extends EcwidRateLimitRefusal {
  override readonly name = 'EcwidRateLimitStopped';

  constructor(remainingMs: number) {
    super(remainingMs, `shutting down, and this token's rate limit has no room for another ${Math.ceil(remainingMs / 1000)} s`);
  }
}

/**
 * Keeps one token under N requests in any rolling window: a ring of the last N start times.
 * A request may start once the oldest of those is a full window old, which never exceeds the limit
 * and still allows the whole ceiling to be used.
 */
export class EcwidRateLimiter {
  private starts: number[];
  private next = 0;
  private pausedUntil = 0;
  private queue: Promise<void> = Promise.resolve();

  /** `now` is monotonic by default: a wall clock stepped back (a VM resumed, NTP) must not hold callers for as long. */
  constructor(
    limit: number,
    readonly windowMs = 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.starts = new Array<number>(limit).fill(-Infinity);
  }

  get limit(): number {
    return this.starts.length;
  }

  /** From now on at most `limit` in a window; the most recent starts are kept, so those already sent count. */
  lowerTo(limit: number): void {
    if (limit >= this.limit) return;
    this.starts = [...this.starts.slice(this.next), ...this.starts.slice(0, this.next)].slice(-limit);
    this.next = 0;
  }

  /**
   * Resolves when the caller may send; callers are served first come, first served. Rejects with EcwidRateLimitPause
   * when, at the caller's turn, a pause has longer than `maxPauseMs` left to run. Once `stopping` aborts, the caller
   * no longer waits: it rejects with EcwidRateLimitStopped at once if it is queued or waiting, and at its turn unless
   * the token has room then. Several modules can share a token's limiter, so one app's shutdown ends only its own waits.
   */
  acquire(maxPauseMs = Infinity, stopping?: AbortSignal): Promise<void> {
    const caller = { left: false };
    const turn = this.queue.then(() => this.waitForSlot(maxPauseMs, stopping, caller));
    this.queue = turn.catch(() => undefined);
    return stopping && !stopping.aborted ? this.leftOnAbort(turn, stopping, caller) : turn;
  }

  /** After a 429, nobody on this token sends for `ms`. */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  /**
   * The caller's turn, or EcwidRateLimitStopped as soon as `stopping` aborts. A caller that left takes no slot when
   * its turn comes.
   */
  private leftOnAbort(turn: Promise<void>, stopping: AbortSignal, caller: { left: boolean }): Promise<void> {
    return new Promise((resolve, reject) => {
      const leave = (): void => {
        caller.left = true;
        reject(new EcwidRateLimitStopped(Math.max(0, this.freeAt() - this.now())));
      };
      stopping.addEventListener('abort', leave, { once: true });
      turn.then(resolve, reject).finally(() => stopping.removeEventListener('abort', leave));
    });
  }

  private freeAt(): number {
    return Math.max(this.starts[this.next] + this.windowMs, this.pausedUntil);
  }

  private async waitForSlot(maxPauseMs: number, stopping: AbortSignal | undefined, caller: { left: boolean }): Promise<void> {
    for (;;) {
      // Its caller has its answer already; the slot stays for the next one.
      if (caller.left) return;
      const now = this.now();
      if (this.pausedUntil - now > maxPauseMs) throw new EcwidRateLimitPause(this.pausedUntil - now);
      const freeAt = this.freeAt();
      if (freeAt <= now) {
        this.starts[this.next] = now;
        this.next = (this.next + 1) % this.starts.length;
        return;
      }
      if (stopping?.aborted) throw new EcwidRateLimitStopped(freeAt - now);
      await sleep(freeAt - now, stopping);
    }
  }
}

/**
 * One limiter per token (and window) per process, so two modules (or the poller and the API) sharing a token share the
 * budget Ecwid counts per token. Sharers that configure different limits all keep to the smallest, which is said once.
 * The window gets a 1% margin (at least 50 ms): requests started a full window apart can arrive closer than that.
 */
export class EcwidRateLimiterRegistry {
  private static readonly logger = new Logger('EcwidRateLimiter');
  private static readonly limiters = new Map<string, { limiter: EcwidRateLimiter; disagreementLogged: boolean }>();

  /** `key` stands for the token (a hash of it): it is never logged. */
  static for(key: string, limit: number, windowMs = 60_000): EcwidRateLimiter {
    const id = `${key}:${windowMs}`;
    const shared = this.limiters.get(id);
    if (!shared) {
      const limiter = new EcwidRateLimiter(limit, windowMs + Math.max(50, windowMs / 100));
      this.limiters.set(id, { limiter, disagreementLogged: false });
      return limiter;
    }
    const { limiter } = shared;
    if (limit !== limiter.limit && !shared.disagreementLogged) {
      shared.disagreementLogged = true;
      this.logger.warn(
        `Module instances sharing an Ecwid token set different http.requestsPerMinute (${limiter.limit} and ${limit}): ` +
          `Ecwid counts requests per token, so all of them keep to the smallest, ${Math.min(limiter.limit, limit)}`,
      );
    }
    limiter.lowerTo(limit);
    return limiter;
  }
}

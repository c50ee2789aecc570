/** Ids and statuses as Ecwid writes them: `K8XTQ`, `AWAITING_PAYMENT`, `order.updated`. */
const PLAIN_WORD = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * A value a notification chose, for a log line or an error message. Only `eventCreated` and `eventId` are signed, so
 * `data.orderId` or a status can hold anything: a plain word is shown as it is, anything else quoted and escaped,
 * so it cannot start a log line of its own.
 */
export function loggable(value: unknown): string {
  return typeof value === 'string' && PLAIN_WORD.test(value) ? value : JSON.stringify(String(value));
}

/**
 * For a warning that may repeat with every request: counts each occurrence and says when a line is due, at most once
 * per interval, with how many occurred since the last one.
 */
export class EcwidLogThrottle {
  private count = 0;
  private nextLineAt = 0;

  constructor(private readonly intervalMs: number) {}

  /** Counts one occurrence; answers how many to report if a line is due at `now`, else 0. */
  note(now: number): number {
    this.count += 1;
    if (now < this.nextLineAt) return 0;
    const count = this.count;
    this.count = 0;
    this.nextLineAt = now + this.intervalMs;
    return count;
  }
}

/** A run under a lease stops when the lease is lost, so two replicas never do the same work at once. */
export class EcwidLeaseLostError extends Error {
  override readonly name = 'EcwidLeaseLostError';
}

/**
 * A lease over one run of work (a polling cycle, a round of notifications), renewed every quarter of its TTL while
 * the run lasts, however long one of its steps takes: a page's listeners, a callback URL slow to answer. Once it was
 * lost, may have lapsed, or the app is stopping, the run stops before its next step: another replica may already be
 * doing the same work.
 */
export class EcwidHeldLease {
  private readonly timer: NodeJS.Timeout;
  private renewing?: Promise<void>;
  private lost?: string;

  /**
   * @param what the work the lease guards, for the reason a run stopped: `polling`, say.
   * @param take takes or renews the lease: false when another holder has it.
   * @param renewedAt when the renewal that last succeeded was sent: the lease runs for its TTL from then at the latest.
   */
  constructor(
    private readonly what: string,
    private readonly take: () => Promise<boolean>,
    private renewedAt: number,
    private readonly ttlMs: number,
    private readonly stopped: () => boolean,
  ) {
    this.timer = setInterval(() => void this.renew().catch(() => undefined), Math.max(1, Math.floor(ttlMs / 4)));
  }

  /** Renews now (one renewal at a time); throws when the lease is no longer held. */
  async renew(): Promise<void> {
    this.renewing ??= this.renewOnce().finally(() => (this.renewing = undefined));
    await this.renewing;
    this.assertHeld();
  }

  /** Throws EcwidLeaseLostError unless the lease is surely still this holder's. */
  assertHeld(): void {
    const lost = this.lostReason();
    if (lost !== undefined) throw new EcwidLeaseLostError(lost);
  }

  /** Why the run must stop, or undefined while the lease is surely still this holder's. */
  lostReason(): string | undefined {
    if (this.stopped()) return 'the application is shutting down';
    if (this.lost) return this.lost;
    if (Date.now() >= this.renewedAt + this.ttlMs) return `the ${this.what} lease could not be renewed in time`;
    return undefined;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async renewOnce(): Promise<void> {
    const sentAt = Date.now();
    if (await this.take()) this.renewedAt = Math.max(this.renewedAt, sentAt);
    else this.lost ??= `another replica took the ${this.what} lease`;
  }
}

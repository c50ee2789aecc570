import { EcwidRateLimiter, EcwidRateLimitPause, EcwidRateLimitStopped } from '../src/orders/ecwid-rate-limiter';

describe('EcwidRateLimiter', () => {
  it('never lets more than the limit start within one window, and uses the whole ceiling', async () => {
    const windowMs = 300;
    const limiter = new EcwidRateLimiter(5, windowMs);
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 15 }, async () => {
        await limiter.acquire();
        starts.push(Date.now());
      }),
    );
    starts.sort((a, b) => a - b);
    for (let i = 5; i < starts.length; i++) {
      // The 6th start may only come once the 1st is a full window old.
      expect(starts[i] - starts[i - 5]).toBeGreaterThanOrEqual(windowMs - 2);
    }
    expect(starts[4] - starts[0]).toBeLessThan(windowMs);
  });

  it('lowered to a smaller limit, counts the requests already started against it', async () => {
    const windowMs = 300;
    const limiter = new EcwidRateLimiter(5, windowMs);
    for (let i = 0; i < 3; i++) await limiter.acquire();
    const loweredAt = Date.now();
    limiter.lowerTo(2);
    expect(limiter.limit).toBe(2);
    // Two of the three starts are in the window already: the next waits for the older of those to age out.
    await limiter.acquire();
    expect(Date.now() - loweredAt).toBeGreaterThanOrEqual(windowMs - 10);
    limiter.lowerTo(4);
    expect(limiter.limit).toBe(2);
  });

  it('keeps its window on a monotonic clock, so a wall clock stepped back does not hold callers for as long', async () => {
    const realNow = Date.now;
    let step = 0;
    // The wall clock from before the limiter exists, as the OS would step it under everyone.
    const wallClock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + step);
    try {
      const limiter = new EcwidRateLimiter(2, 100);
      await limiter.acquire();
      await limiter.acquire();
      step = -600_000;
      const outcome = await Promise.race([
        limiter.acquire().then(() => 'acquired'),
        new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2_000)),
      ]);
      expect(outcome).toBe('acquired');
    } finally {
      wallClock.mockRestore();
    }
  });

  it('serves waiting callers in arrival order', async () => {
    const limiter = new EcwidRateLimiter(1, 20);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => limiter.acquire().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('holds everyone back while paused after a 429', async () => {
    const limiter = new EcwidRateLimiter(100, 60_000);
    const pausedAt = Date.now();
    limiter.pauseFor(150);
    await limiter.acquire();
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(148);
  });

  it('refuses a caller whose turn meets a pause longer than it allows, and serves the next callers after it', async () => {
    const limiter = new EcwidRateLimiter(100, 60_000);
    limiter.pauseFor(3_600_000);
    const refused = limiter.acquire(60_000).catch((e: unknown) => e);
    const alsoRefused = limiter.acquire(60_000).catch((e: unknown) => e);
    await expect(refused).resolves.toBeInstanceOf(EcwidRateLimitPause);
    const error = (await alsoRefused) as EcwidRateLimitPause;
    expect(error).toBeInstanceOf(EcwidRateLimitPause);
    expect(error.remainingMs).toBeGreaterThan(3_590_000);

    // A caller behind a refused one is still served, once the pause it accepts is over.
    const short = new EcwidRateLimiter(1, 20);
    short.pauseFor(100);
    const impatient = short.acquire(10).catch((e: unknown) => e);
    const patient = short.acquire();
    expect(await impatient).toBeInstanceOf(EcwidRateLimitPause);
    await expect(patient).resolves.toBeUndefined();
  });

  it('lets a stopping caller go at once, whether it waits for a slot or in the queue, and serves the others after it', async () => {
    const limiter = new EcwidRateLimiter(1, 60_000);
    await limiter.acquire();
    const stopping = new AbortController();
    const waiting = limiter.acquire(Infinity, stopping.signal).catch((e: unknown) => e);
    const queued = limiter.acquire(Infinity, stopping.signal).catch((e: unknown) => e);
    const other = new AbortController();
    const otherApp = limiter.acquire(Infinity, other.signal).catch((e: unknown) => e);
    const startedAt = Date.now();
    setTimeout(() => stopping.abort(), 30);

    const stopped = (await waiting) as EcwidRateLimitStopped;
    expect(stopped).toBeInstanceOf(EcwidRateLimitStopped);
    expect(stopped.remainingMs).toBeGreaterThan(59_000);
    expect(await queued).toBeInstanceOf(EcwidRateLimitStopped);
    expect(Date.now() - startedAt).toBeLessThan(1000);

    // Another app sharing the token still waits for its slot; its own shutdown ends that wait.
    const stillWaiting = await Promise.race([otherApp, new Promise((resolve) => setTimeout(() => resolve('waiting'), 100))]);
    expect(stillWaiting).toBe('waiting');
    other.abort();
    expect(await otherApp).toBeInstanceOf(EcwidRateLimitStopped);
  });

  it('lets a caller whose app is stopping send while the token has room, and refuses it any wait', async () => {
    const limiter = new EcwidRateLimiter(1, 60_000);
    const stopped = AbortSignal.abort();
    await expect(limiter.acquire(Infinity, stopped)).resolves.toBeUndefined();
    await expect(limiter.acquire(Infinity, stopped)).rejects.toBeInstanceOf(EcwidRateLimitStopped);
  });

  it('gives a caller that left at shutdown no slot, so the next caller gets it', async () => {
    const limiter = new EcwidRateLimiter(2, 60_000);
    await limiter.acquire();
    const stopping = new AbortController();
    const left = limiter.acquire(Infinity, stopping.signal).catch((e: unknown) => e);
    stopping.abort();
    expect(await left).toBeInstanceOf(EcwidRateLimitStopped);
    // Had the caller that left taken the second slot, this would wait a minute.
    const next = await Promise.race([limiter.acquire().then(() => 'sent'), new Promise((resolve) => setTimeout(() => resolve('waiting'), 1000))]);
    expect(next).toBe('sent');
  });
});

/**
 * Slows a connector down before the system has to refuse it: reads a rolling window's
 * limit headers (how many requests remain, how long the window is) and spreads what remains of
 * the window over its length; keeps a minimum spacing for endpoints with a fixed rate.
 */
export class RateLimitPacer {
  private notBefore = 0;

  constructor(
    private readonly reserve: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Waits until the next request may leave. */
  async wait(): Promise<void> {
    const delay = this.notBefore - this.now();
    if (delay > 0) await this.sleep(delay);
  }

  /** After a request: `remaining` requests left in a window of `intervalMs`. */
  observeWindow(remaining: number, intervalMs: number): void {
    if (!Number.isFinite(remaining) || !Number.isFinite(intervalMs) || remaining > this.reserve) return;
    this.notBefore = Math.max(this.notBefore, this.now() + Math.ceil(intervalMs / Math.max(1, remaining)));
  }

  /** After a request to an endpoint allowing `perSecond` requests a second. */
  observeFixedRate(perSecond: number): void {
    this.notBefore = Math.max(this.notBefore, this.now() + Math.ceil(1000 / perSecond));
  }
}

/** Milliseconds until the next midnight in a time zone (when daily API quotas reset). */
export function msUntilMidnight(timeZone: string, now = Date.now()): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour12: false,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(now);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const sinceMidnight = ((part('hour') % 24) * 3600 + part('minute') * 60 + part('second')) * 1000 + (now % 1000);
  return 86_400_000 - sinceMidnight;
}

import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

/** A system's published request limit: at most `requests` in any `perMs` window (e.g. HubSpot: 100 per 10 s). */
export const rateLimitSchema = z.object({
  requests: z.number().int().min(1, 'must allow at least one request'),
  perMs: z.number().int().min(1).max(86_400_000),
});
export type RateLimit = z.infer<typeof rateLimitSchema>;

/**
 * The rolling window the pacer keeps: one request fewer than the limit (requests that reach the
 * server closer together than they left get a request of margin), over the window plus 1% (at
 * least 10 ms) of slack for the time requests take to arrive.
 */
export function windowFor(limit: RateLimit): { capacity: number; windowMs: number } {
  return {
    capacity: Math.max(1, limit.requests - 1),
    windowMs: limit.perMs + Math.max(10, Math.ceil(limit.perMs / 100)),
  };
}

/**
 * Paces the requests of one system so its rate limit is never hit; shared by every connector of the
 * system in a worker process. It remembers its last requests and lets a request go as soon as fewer
 * than the window's capacity count in the window before it: the whole budget is usable from the
 * first second (a sync's first requests need not wait for a bucket to fill), and no window ever
 * holds more than the limit. A request counts from when its answer came (the system counted it at
 * some point before answering), and counts until then: however long requests queue on their way,
 * the system never sees more in a window than the pacer let go. When a 429 arrives anyway (another
 * client spent the budget), every request waits out the Retry-After, then goes at the limit's
 * steady pace.
 */
export class RequestPacer {
  private readonly capacity: number;
  private readonly windowMs: number;
  /** The requests of the current window: when each was answered (Infinity while in flight). */
  private recent: Array<{ answeredAt: number }> = [];
  private blockedUntil = 0;
  /** Requests take their turn one after another, in the order they asked. */
  private queue: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;

  constructor(readonly limit: RateLimit) {
    ({ capacity: this.capacity, windowMs: this.windowMs } = windowFor(limit));
  }

  /** Resolves when the next request may be sent, with what to call once its answer (or error) came. */
  acquire(): Promise<() => void> {
    const turn = this.queue.then(() => this.take());
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private async take(): Promise<() => void> {
    for (;;) {
      await this.waitWhileBlocked();
      const now = Date.now();
      this.recent = this.recent.filter((entry) => entry.answeredAt > now - this.windowMs);
      if (this.recent.length < this.capacity) {
        const entry = { answeredAt: Infinity };
        this.recent.push(entry);
        return () => {
          entry.answeredAt = Math.min(entry.answeredAt, Date.now());
          this.wake?.();
        };
      }
      const soonest = Math.min(...this.recent.map((entry) => entry.answeredAt));
      const answered = new Promise<void>((resolve) => (this.wake = resolve));
      await (Number.isFinite(soonest) ? Promise.race([sleep(soonest + this.windowMs - now + 1), answered]) : answered);
      this.wake = undefined;
    }
  }

  private async waitWhileBlocked(): Promise<void> {
    for (let wait = this.blockedUntil - Date.now(); wait > 0; wait = this.blockedUntil - Date.now()) await sleep(wait);
  }

  /**
   * The system answered 429: nothing goes out for `retryAfterMs`; after that, requests go at the
   * limit's steady pace (the window counts as full, spread evenly up to the end of the block).
   */
  backOff(retryAfterMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, Date.now() + retryAfterMs);
    const spacing = this.windowMs / this.capacity;
    const first = this.blockedUntil - this.windowMs;
    this.recent = Array.from({ length: this.capacity }, (_, index) => ({ answeredAt: first + (index + 1) * spacing }));
  }
}

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
 * system in a worker process. It remembers when its last requests started and lets a request go as
 * soon as fewer than the window's capacity started in the window before it: the whole budget is
 * usable from the first second (a sync's first requests need not wait for a bucket to fill), and no
 * window ever holds more than the limit. When a 429 arrives anyway (another client spent the
 * budget), every request waits out the Retry-After, then goes at the steady pace of the limit.
 */
export class RequestPacer {
  private readonly capacity: number;
  private readonly windowMs: number;
  /** Start times of the requests in the current window, oldest first. */
  private starts: number[] = [];
  private blockedUntil = 0;
  /** Requests take their turn one after another, in the order they asked. */
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly limit: RateLimit) {
    ({ capacity: this.capacity, windowMs: this.windowMs } = windowFor(limit));
  }

  /** Resolves when the next request may be sent. */
  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.take());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async take(): Promise<void> {
    for (;;) {
      await this.waitWhileBlocked();
      const now = Date.now();
      while (this.starts.length > 0 && this.starts[0]! <= now - this.windowMs) this.starts.shift();
      if (this.starts.length < this.capacity) {
        this.starts.push(now);
        return;
      }
      await sleep(this.starts[0]! + this.windowMs - now + 1);
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
    this.starts = Array.from({ length: this.capacity }, (_, index) => first + (index + 1) * spacing);
  }
}

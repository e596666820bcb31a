import { setTimeout as sleep } from 'node:timers/promises';
import { TokenBucket } from 'limiter';
import { z } from 'zod';

/** A system's published request limit: at most `requests` in any `perMs` window (e.g. HubSpot: 100 per 10 s). */
export const rateLimitSchema = z.object({
  requests: z.number().int().min(1, 'must allow at least one request'),
  perMs: z.number().int().min(1).max(86_400_000),
});
export type RateLimit = z.infer<typeof rateLimitSchema>;

/**
 * The token bucket that never exceeds a rolling-window limit. A bucket of size B refilled at r per
 * ms lets at most B + r * W requests start in any window W, so B + r * W must stay under the limit
 * N. The bucket is small (2% of N, at least 2) so a lone request goes at once and a timer that
 * fires late loses no tokens, and it refills N - B tokens over W plus 1% slack: in any window that
 * is at most N - 1 requests, which leaves one request of margin for requests that reach the server
 * closer together than they left. Steady pace: about 97% of the limit.
 */
export function bucketFor(limit: RateLimit): { bucketSize: number; tokensPerInterval: number; interval: number } {
  const bucketSize = Math.max(Math.min(2, limit.requests), Math.floor(limit.requests / 50));
  return {
    bucketSize,
    tokensPerInterval: Math.max(1, limit.requests - bucketSize),
    interval: limit.perMs + Math.max(10, Math.ceil(limit.perMs / 100)),
  };
}

/**
 * Paces the requests of one system so its rate limit is never hit; shared by every connector of the
 * system in a worker process. When a 429 arrives anyway (another client spent the budget), every
 * request waits out the Retry-After before the next one goes.
 */
export class RequestPacer {
  private readonly bucket: TokenBucket;
  private blockedUntil = 0;

  constructor(readonly limit: RateLimit) {
    this.bucket = new TokenBucket(bucketFor(limit));
    // The library starts empty; a client that has sent nothing yet may use its small burst.
    this.bucket.content = this.bucket.bucketSize;
  }

  /** Resolves when the next request may be sent. */
  async acquire(): Promise<void> {
    await this.waitWhileBlocked();
    await this.bucket.removeTokens(1);
    // A 429 may have come in while this request waited for its token.
    await this.waitWhileBlocked();
  }

  private async waitWhileBlocked(): Promise<void> {
    for (let wait = this.blockedUntil - Date.now(); wait > 0; wait = this.blockedUntil - Date.now()) await sleep(wait);
  }

  /** The system answered 429: nothing goes out for `retryAfterMs`, and the burst starts empty again. */
  backOff(retryAfterMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, Date.now() + retryAfterMs);
    this.bucket.content = 0;
  }
}

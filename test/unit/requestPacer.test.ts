import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bucketFor, RequestPacer, type RateLimit } from '../../src/connectors/requestPacer';

/** Most request starts that fall in any window of `windowMs` (closed at both ends, the strict reading). */
function busiestWindow(starts: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; j < starts.length; j++) {
    while (starts[j]! - starts[i]! > windowMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

describe('bucketFor: a token bucket that fits under a rolling-window limit', () => {
  const limits: RateLimit[] = [
    { requests: 1, perMs: 1000 },
    { requests: 2, perMs: 500 },
    { requests: 10, perMs: 1000 },
    { requests: 100, perMs: 10_000 },
    { requests: 150, perMs: 10_000 },
    { requests: 5000, perMs: 60_000 },
  ];
  for (const limit of limits) {
    test(`${limit.requests} per ${limit.perMs} ms: burst plus refill over one window stays below the limit`, () => {
      const bucket = bucketFor(limit);
      const mostInAnyWindow = bucket.bucketSize + (bucket.tokensPerInterval / bucket.interval) * limit.perMs;
      assert.ok(Math.floor(mostInAnyWindow) <= limit.requests, `${mostInAnyWindow} may start in one window`);
      assert.ok(bucket.bucketSize >= 1 && bucket.tokensPerInterval >= 1);
    });
  }

  test("paces HubSpot's 100 per 10 s at more than 95% of the limit", () => {
    const bucket = bucketFor({ requests: 100, perMs: 10_000 });
    assert.ok((bucket.tokensPerInterval / bucket.interval) * 10_000 >= 95);
  });
});

describe('RequestPacer', () => {
  test('never lets more requests start in any window than the limit allows', async () => {
    const limit = { requests: 20, perMs: 500 };
    const pacer = new RequestPacer(limit);
    const starts: number[] = [];
    // Five callers at once, as concurrent activities of one worker would be.
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        for (let i = 0; i < 12; i++) {
          await pacer.acquire();
          starts.push(performance.now());
        }
      }),
    );
    starts.sort((a, b) => a - b);
    assert.equal(starts.length, 60);
    assert.ok(busiestWindow(starts, limit.perMs) <= limit.requests - 1, `busiest window held ${busiestWindow(starts, limit.perMs)}`);
  });

  test('a lone first request goes at once', async () => {
    const pacer = new RequestPacer({ requests: 100, perMs: 10_000 });
    const before = performance.now();
    await pacer.acquire();
    assert.ok(performance.now() - before < 50);
  });

  test('after a 429 no request starts before the Retry-After delay has passed', async () => {
    const pacer = new RequestPacer({ requests: 100, perMs: 1000 });
    await pacer.acquire();
    const blockedAt = performance.now();
    pacer.backOff(300);
    await Promise.all([pacer.acquire(), pacer.acquire()]);
    assert.ok(performance.now() - blockedAt >= 295, `waited only ${performance.now() - blockedAt} ms`);
  });
});

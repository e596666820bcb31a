import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { windowFor, RequestPacer, type RateLimit } from '../../src/connectors/requestPacer';

/** Most request starts that fall in any window of `windowMs` (closed at both ends, the strict reading). */
function busiestWindow(starts: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; j < starts.length; j++) {
    while (starts[j]! - starts[i]! > windowMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

describe('windowFor: the rolling window the pacer keeps under a limit', () => {
  const limits: RateLimit[] = [
    { requests: 1, perMs: 1000 },
    { requests: 2, perMs: 500 },
    { requests: 100, perMs: 10_000 },
    { requests: 5000, perMs: 60_000 },
  ];
  for (const limit of limits) {
    test(`${limit.requests} per ${limit.perMs} ms: at most the limit in a window at least as long as the limit's`, () => {
      const { capacity, windowMs } = windowFor(limit);
      assert.ok(capacity >= 1 && capacity <= limit.requests);
      assert.ok(windowMs > limit.perMs);
    });
  }

  test("keeps one request of margin under HubSpot's 100 per 10 s", () => {
    assert.deepEqual(windowFor({ requests: 100, perMs: 10_000 }), { capacity: 99, windowMs: 10_100 });
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
          const answered = await pacer.acquire();
          starts.push(performance.now());
          answered();
        }
      }),
    );
    starts.sort((a, b) => a - b);
    assert.equal(starts.length, 60);
    assert.ok(busiestWindow(starts, limit.perMs) <= limit.requests - 1, `busiest window held ${busiestWindow(starts, limit.perMs)}`);
  });

  test("a fresh pacer lets the window's whole budget go at once", async () => {
    const pacer = new RequestPacer({ requests: 100, perMs: 10_000 });
    const before = performance.now();
    for (let i = 0; i < 99; i++) (await pacer.acquire())();
    assert.ok(performance.now() - before < 200, `99 requests took ${performance.now() - before} ms`);
  });

  test('the request past the budget waits until the first one leaves the window', async () => {
    const pacer = new RequestPacer({ requests: 5, perMs: 300 });
    const before = performance.now();
    for (let i = 0; i < 4; i++) (await pacer.acquire())();
    await pacer.acquire();
    assert.ok(performance.now() - before >= 300, `the fifth went after ${performance.now() - before} ms`);
  });

  test('a request counts from its answer: one answered late holds its slot until a window after the answer', async () => {
    const pacer = new RequestPacer({ requests: 2, perMs: 200 });
    const slow = await pacer.acquire();
    const before = performance.now();
    const next = pacer.acquire();
    setTimeout(slow, 300);
    await next;
    assert.ok(performance.now() - before >= 300 + 200, `went after ${performance.now() - before} ms`);
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

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentDeliveries } from '../../src/webhooks/recentDeliveries';

test('an accepted delivery id is a duplicate until its signature expires; a failed one is forgotten so the retry is handled', async () => {
  const deliveries = new RecentDeliveries();
  const first = await deliveries.claim('a', 1_000, 0);
  assert.equal(first.kind, 'new');
  if (first.kind === 'new') first.settle(true);
  assert.equal((await deliveries.claim('a', 1_000, 999)).kind, 'duplicate');
  assert.equal((await deliveries.claim('a', 2_000, 1_001)).kind, 'new', 'expired: handled again');

  const failed = await deliveries.claim('b', 1_000, 0);
  if (failed.kind === 'new') failed.settle(false);
  assert.equal((await deliveries.claim('b', 1_000, 1)).kind, 'new');
});

test('a concurrent copy waits for the delivery in hand: a duplicate if it was accepted, handled itself if it failed', async () => {
  const deliveries = new RecentDeliveries();
  const first = await deliveries.claim('c', 1_000, 0);
  const copy = deliveries.claim('c', 1_000, 0);
  if (first.kind === 'new') first.settle(true);
  assert.equal((await copy).kind, 'duplicate');

  const failing = await deliveries.claim('d', 1_000, 0);
  const retry = deliveries.claim('d', 1_000, 0);
  const another = deliveries.claim('d', 1_000, 0);
  if (failing.kind === 'new') failing.settle(false);
  const handled = await retry;
  assert.equal(handled.kind, 'new', 'the first copy to notice takes the delivery over');
  if (handled.kind === 'new') handled.settle(true);
  assert.equal((await another).kind, 'duplicate', 'the second waits for that one');
});

test('it remembers at most its limit of ids, forgetting the oldest', async () => {
  const deliveries = new RecentDeliveries(2);
  for (const key of ['x', 'y', 'z']) {
    const claim = await deliveries.claim(key, 1_000, 0);
    if (claim.kind === 'new') claim.settle(true);
  }
  assert.equal((await deliveries.claim('x', 1_000, 0)).kind, 'new');
  assert.equal((await deliveries.claim('z', 1_000, 0)).kind, 'duplicate');
});

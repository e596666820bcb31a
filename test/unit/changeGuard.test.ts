import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChangeGuardCount } from '../../src/shared/changeGuard';

const settings = { maxChangeShare: 0.25, minRecords: 100 };
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();

describe('the change guard count', () => {
  test('lets steps through up to the share of the CRM, and names the step, the counts and the go-ahead when one would cross it', () => {
    const guard = new ChangeGuardCount(settings, undefined);
    assert.equal(guard.excess({ crmTotal: 200, changes: 40, step: 'page 1', now: at(0) }), undefined);
    guard.record(40, at(0));
    const reason = guard.excess({ crmTotal: 200, changes: 11, step: 'page 2', now: at(1) });
    assert.equal(
      reason,
      "Change guard: page 2 would take the updates and archives of this run past 25% of the CRM's 200 products (40 done, 11 more in page 2). " +
        'Nothing of page 2 was written. If the PMS really changed this much, send resume (the go-ahead: this step is written and the count starts again after it); otherwise check the PMS and cancel the run.',
    );
    assert.equal(guard.excess({ crmTotal: 200, changes: 10, step: 'page 2', now: at(1) }), undefined, 'exactly the share is allowed');
  });

  test('a CRM smaller than minRecords and a step with no updates or archives are never stopped', () => {
    const guard = new ChangeGuardCount(settings, undefined, [{ at: at(0), changes: 1000 }]);
    assert.equal(guard.excess({ crmTotal: 99, changes: 99, step: 'page 1', now: at(0) }), undefined);
    assert.equal(guard.excess({ crmTotal: 1000, changes: 0, step: 'page 1', now: at(0) }), undefined);
  });

  test('after a go-ahead the count starts again, and a whole-run count survives a snapshot (continue-as-new)', () => {
    const guard = new ChangeGuardCount(settings, undefined);
    guard.record(50, at(0));
    assert.ok(guard.excess({ crmTotal: 200, changes: 1, step: 'page 2', now: at(1) }));
    guard.reset();
    assert.equal(guard.excess({ crmTotal: 200, changes: 50, step: 'page 3', now: at(2) }), undefined);
    guard.record(30, at(2));
    guard.record(20, at(3));
    const carried = new ChangeGuardCount(settings, undefined, guard.snapshot());
    assert.deepEqual(carried.snapshot(), [{ at: at(3), changes: 50 }], 'a whole-run count is kept as one entry');
    assert.match(String(carried.excess({ crmTotal: 200, changes: 1, step: 'page 4', now: at(4) })), /\(50 done, 1 more in page 4\)/);
  });

  test('with a window (the stream) only the changes of the last windowMs count', () => {
    const guard = new ChangeGuardCount(settings, 60 * 60_000);
    guard.record(30, at(0));
    guard.record(20, at(30));
    assert.match(
      String(guard.excess({ crmTotal: 200, changes: 1, step: 'batch 3', now: at(59) })),
      /of the last 1 h past 25% .*\(50 done, 1 more in batch 3\)/,
    );
    assert.equal(guard.excess({ crmTotal: 200, changes: 30, step: 'batch 3', now: at(61) }), undefined, 'the first 30 left the window');
  });
});

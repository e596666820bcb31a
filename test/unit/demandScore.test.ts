import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { orderPeriod } from '../../src/domain/crmDemand';
import { demandScore, scoringSchema } from '../../src/domain/demandScore';

const scoring = scoringSchema.parse({});

describe('demand score', () => {
  test('adds points per account, per 1,000 of annual value and per priority', () => {
    const score = demandScore(
      [
        { accountId: 'A-1', accountValue: 200_000, priority: 'high' },
        { accountId: 'A-2', accountValue: 50_000, priority: 'low' },
      ],
      scoring,
    );
    assert.equal(score, 2 * 10 + 0.1 * 250 + 4 + 1);
  });

  test('an account asking twice counts once for accounts and value, twice for urgency', () => {
    const score = demandScore(
      [
        { accountId: 'A-1', accountValue: 100_000, priority: 'medium' },
        { accountId: 'A-1', accountValue: 100_000, priority: 'critical' },
      ],
      scoring,
    );
    assert.equal(score, 10 + 10 + 2 + 8);
  });

  test('weights come from configuration', () => {
    const onlyAccounts = scoringSchema.parse({
      perAccount: 1,
      perThousandValue: 0,
      priorityWeights: { low: 0, medium: 0, high: 0, critical: 0 },
    });
    assert.equal(demandScore([{ accountId: 'A', accountValue: 1e6, priority: 'critical' }], onlyAccounts), 1);
  });

  test('orders count toward the UTC month they were placed in', () => {
    assert.equal(orderPeriod('2026-11-30T23:30:00-02:00'), '2026-12');
    assert.equal(orderPeriod('2026-11-01T00:00:00Z'), '2026-11');
  });
});

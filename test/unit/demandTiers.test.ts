import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDemandMappingActivities } from '../../activities/demandMappingActivities';
import type { DemandLinkSink, DemandSource } from '../../src/connectors/demandConnectors';
import { matcherConfigSchema, type DemandMatcher } from '../../src/domain/demandMatcher';
import { createOfflineDemandMatcher } from '../../src/domain/offlineDemandMatcher';
import { scoringSchema } from '../../src/domain/demandScore';
import { createLogger } from '../../src/logging/logger';
import type { MapDemandsResult, PreparedDemand } from '../../src/shared/demandActivityTypes';
import { memoryRequirementStore } from '../helpers/memoryRequirementStore';

const demand = (id: string, title: string, description = ''): PreparedDemand => ({
  demandId: id,
  title,
  description,
  kind: 'feature-request',
  priority: 'medium',
  productId: 'P-1',
  otherProductIds: [],
  account: { id: `A-${id}`, name: `Account ${id}`, segment: 'smb', value: 1000 },
  current: { requirementId: null, status: null },
  position: { since: '2026-11-01T00:00:00.000Z', afterId: id },
});

/** A matcher that gives every candidate one score: the tiers alone decide. */
const fixedScore = (score: number): DemandMatcher => ({
  kind: 'fixed',
  rank: async (_demand, candidates) => candidates.map((c) => ({ id: c.id, score, reason: `score ${score}` })),
});

function mapping(pms: ReturnType<typeof memoryRequirementStore>, matcher: DemandMatcher, config: Record<string, unknown> = {}) {
  const activities = createDemandMappingActivities({
    integration: () => ({
      crm: {} as DemandSource & DemandLinkSink,
      pms: pms.store,
      matcher,
      placement: matcherConfigSchema.parse(config),
      scoring: scoringSchema.parse({}),
      contactFields: [],
    }),
    logger: createLogger('test', { level: 'silent' }),
  });
  return (demands: PreparedDemand[]): Promise<MapDemandsResult> =>
    new MockActivityEnvironment().run((input) => activities.mapDemands(input), { integrationId: 'demands', demands });
}

const linkOf = (pms: ReturnType<typeof memoryRequirementStore>, demandId: string) =>
  pms
    .all()
    .flatMap((r) => r.demands.map((link) => ({ requirementId: r.id, ...link })))
    .filter((link) => link.demandId === demandId);

describe('confidence tiers when placing demands', () => {
  test('at or above autoLinkAt the demand is linked with its score and a reason naming the tier', async () => {
    const pms = memoryRequirementStore();
    const map = mapping(pms, createOfflineDemandMatcher());
    await map([demand('D-1', 'Export reports to Excel'), demand('D-2', 'Excel export for reports')]);
    const [link] = linkOf(pms, 'D-2');
    assert.deepEqual([link!.requirementId, link!.linkState, link!.matchScore], ['REQ-1', 'linked', 1]);
    assert.match(link!.matchReason!, /^merged: shares 'excel', 'export', 'reports'.*>= auto-link 0\.45$/);
    const [first] = linkOf(pms, 'D-1');
    assert.deepEqual([first!.linkState, first!.matchScore, first!.matchReason], ['linked', null, null]);
  });

  test('between suggestAt and autoLinkAt the link is a suggestion for a product manager', async () => {
    const pms = memoryRequirementStore();
    await mapping(pms, fixedScore(0.3))([demand('D-1', 'one'), demand('D-2', 'two')]);
    const [link] = linkOf(pms, 'D-2');
    assert.deepEqual([link!.requirementId, link!.linkState, link!.matchScore], ['REQ-1', 'suggested', 0.3]);
    assert.match(link!.matchReason!, /between suggest 0\.15 and auto-link 0\.45, so a product manager decides/);
  });

  test('below suggestAt the demand gets a requirement of its own', async () => {
    const pms = memoryRequirementStore();
    const result = await mapping(pms, fixedScore(0.1))([demand('D-1', 'one'), demand('D-2', 'two')]);
    assert.deepEqual(
      result.outcomes.map((o) => [o.demandId, o.requirementId, o.action]),
      [
        ['D-1', 'REQ-1', 'created'],
        ['D-2', 'REQ-2', 'created'],
      ],
    );
  });

  test("a product manager's confirmation is never changed by a later run", async () => {
    const pms = memoryRequirementStore();
    const map = mapping(pms, fixedScore(0.3));
    await map([demand('D-1', 'one'), demand('D-2', 'two')]);
    pms.decide('REQ-1', 'D-2', 'confirm');
    const again = await map([demand('D-2', 'two, edited in the CRM')]);
    assert.deepEqual(
      again.outcomes.map((o) => [o.requirementId, o.action]),
      [['REQ-1', 'updated']],
    );
    const [link] = linkOf(pms, 'D-2');
    assert.deepEqual([link!.linkState, link!.title], ['confirmed', 'two, edited in the CRM']);
  });

  test('a rejected demand is not suggested to the same requirement again: it gets one of its own, the rejection stays', async () => {
    const pms = memoryRequirementStore();
    const map = mapping(pms, fixedScore(0.3));
    await map([demand('D-1', 'one'), demand('D-2', 'two')]);
    pms.decide('REQ-1', 'D-2', 'reject');
    const again = await map([demand('D-2', 'two')]);
    assert.deepEqual(
      again.outcomes.map((o) => [o.requirementId, o.action]),
      [['REQ-2', 'created']],
    );
    assert.deepEqual(
      linkOf(pms, 'D-2').map((l) => [l.requirementId, l.linkState]),
      [
        ['REQ-1', 'rejected'],
        ['REQ-2', 'linked'],
      ],
    );
    const third = await map([demand('D-2', 'two')]);
    assert.deepEqual(
      third.outcomes.map((o) => [o.requirementId, o.action]),
      [['REQ-2', 'unchanged']],
    );
  });

  test('a rejected link no longer counts in the requirement score once the bridge writes it again', async () => {
    const pms = memoryRequirementStore();
    const map = mapping(pms, fixedScore(0.9));
    await map([demand('D-1', 'one'), demand('D-2', 'two')]);
    const withBoth = pms.all()[0]!.demandScore;
    pms.decide('REQ-1', 'D-2', 'reject');
    await map([demand('D-1', 'one, edited')]);
    assert.ok(pms.all()[0]!.demandScore < withBoth, `${pms.all()[0]!.demandScore} < ${withBoth}`);
  });

  test('a released requirement takes no new demand: a new requirement refers to it', async () => {
    const pms = memoryRequirementStore();
    const map = mapping(pms, createOfflineDemandMatcher());
    await map([demand('D-1', 'Export reports to Excel')]);
    pms.setStatus('REQ-1', 'released');
    const result = await map([demand('D-2', 'Excel export for reports')]);
    assert.deepEqual(
      result.outcomes.map((o) => [o.requirementId, o.action]),
      [['REQ-2', 'created']],
    );
    assert.equal(pms.all().find((r) => r.id === 'REQ-2')!.refersTo, 'REQ-1');
  });

  test('with linkToTerminal a released requirement still takes the demand', async () => {
    const pms = memoryRequirementStore();
    const map = mapping(pms, createOfflineDemandMatcher(), { linkToTerminal: true });
    await map([demand('D-1', 'Export reports to Excel')]);
    pms.setStatus('REQ-1', 'released');
    const result = await map([demand('D-2', 'Excel export for reports')]);
    assert.deepEqual(
      result.outcomes.map((o) => [o.requirementId, o.action]),
      [['REQ-1', 'linked']],
    );
  });

  test('a demand of only emoji or control characters is placed on a requirement of its own, not merged', async () => {
    const pms = memoryRequirementStore();
    const result = await mapping(
      pms,
      createOfflineDemandMatcher(),
    )([demand('D-1', '😀🎉', '🚀'), demand('D-2', '👍🏽👍🏽'), demand('D-3', '\u0007\u0000', '\u001b')]);
    assert.deepEqual(
      result.outcomes.map((o) => o.action),
      ['created', 'created', 'created'],
    );
    assert.deepEqual(result.failed, []);
  });
});

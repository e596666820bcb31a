import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MockActivityEnvironment } from '@temporalio/testing';
import './arbitraries/replay';
import { anyText, unusualCharacters } from './arbitraries/hostile';
import { createDemandMappingActivities } from '../../activities/demandMappingActivities';
import type { DemandLinkSink, DemandSource, RequirementStore } from '../../src/connectors/demandConnectors';
import { matcherConfigSchema, type MatchCandidate } from '../../src/domain/demandMatcher';
import { rankOffline } from '../../src/domain/offlineDemandMatcher';
import { decidePlacement } from '../../src/domain/demandPlacement';
import { memoryRequirementStore } from '../helpers/memoryRequirementStore';
import { scoringSchema } from '../../src/domain/demandScore';
import { createLogger } from '../../src/logging/logger';
import type { MapDemandsResult, PreparedDemand } from '../../src/shared/demandActivityTypes';

// Property tests: fast-check prints the seed of a failure; see ./arbitraries/replay.ts to replay it.

/** Words customers really use, synonyms and stop words among them, so texts overlap and merge. */
const words = [
  'export',
  'exports',
  'exporting',
  'report',
  'reports',
  'excel',
  'XLSX',
  'spreadsheet',
  'csv',
  'download',
  'SSO',
  'SAML',
  'login',
  'sign-on',
  'mobile',
  'app',
  'alerts',
  'notification',
  'slow',
  'dashboard',
  'Café',
  'café',
  'the',
  'please',
  'to',
  'for',
  'our',
  'need',
];
const customerText = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...words), fc.constantFrom(...unusualCharacters)), { maxLength: 7 })
      .map((parts) => parts.join(' ')),
  },
  { weight: 1, arbitrary: anyText({ maxLength: 40 }) },
);
const text = fc.record({ title: customerText, description: customerText });
const config = matcherConfigSchema.parse({});
/** Requirements of one product: distinct ids, some with linked demands. */
const candidates = fc.uniqueArray(
  fc.record({
    id: fc.constantFrom('R-1', 'R-2', 'R-3', 'R-10'),
    title: customerText,
    description: customerText,
    terminal: fc.boolean(),
    demands: fc.array(fc.record({ title: customerText, description: fc.constant('') }), { maxLength: 3 }),
  }),
  { maxLength: 4, selector: (candidate) => candidate.id },
);
const tiers = fc
  .tuple(fc.constantFrom(0, 0.2, 0.45, 0.8, 1), fc.constantFrom(0, 0.2, 0.45, 0.8, 1), fc.boolean())
  .map(([a, b, linkToTerminal]) => ({ autoLinkAt: Math.max(a, b), suggestAt: Math.min(a, b), linkToTerminal }));

const preparedDemands = fc
  .array(
    fc.record({
      productId: fc.constantFrom('P-1', 'P-2', 'P-3'),
      title: customerText,
      description: customerText,
      account: fc.constantFrom('A-1', 'A-2', 'A-3'),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((demands) =>
    demands.map(({ productId, title, description, account }, index): PreparedDemand => ({
      demandId: `D-${index + 1}`,
      title,
      description,
      kind: 'feature-request',
      priority: 'medium',
      productId,
      otherProductIds: [],
      account: { id: account, name: account, segment: 'smb', value: 1000 },
      current: { requirementId: null, status: null },
      position: { since: '2026-11-01T00:00:00.000Z', afterId: `D-${index + 1}` },
    })),
  );

async function mapDemands(store: RequirementStore, demands: PreparedDemand[]): Promise<MapDemandsResult> {
  const activities = createDemandMappingActivities({
    integration: () => ({
      crm: {} as DemandSource & DemandLinkSink,
      pms: store,
      matcher: { kind: 'offline', rank: async (demand, list) => rankOffline(demand, list) },
      placement: config,
      scoring: scoringSchema.parse({}),
      contactFields: [],
    }),
    logger: createLogger('test', { level: 'silent' }),
  });
  return new MockActivityEnvironment().run((input) => activities.mapDemands(input), { integrationId: 'demands', demands });
}

describe('demand matcher over hostile and overlapping texts (properties)', () => {
  test('every candidate is scored once, from 0 to 1, best first with ties by id, the same every time', () => {
    fc.assert(
      fc.property(text, candidates, (demand, list) => {
        const ranked = rankOffline(demand, list);
        assert.deepEqual(ranked.map((r) => r.id).sort(), list.map((c) => c.id).sort());
        for (const r of ranked) assert.ok(r.score >= 0 && r.score <= 1 && r.reason.length > 0, JSON.stringify(r));
        for (let i = 1; i < ranked.length; i++) {
          const [a, b] = [ranked[i - 1]!, ranked[i]!];
          assert.ok(a.score > b.score || (a.score === b.score && a.id < b.id), `${a.id} ${a.score} before ${b.id} ${b.score}`);
        }
        assert.deepEqual(rankOffline(demand, list), ranked);
      }),
      { numRuns: 300 },
    );
  });

  test('a demand with words scores 1 against a requirement of the very same text', () => {
    fc.assert(
      fc.property(text, (demand) => {
        const [self] = rankOffline(demand, [{ id: 'R-1', ...demand, terminal: false, demands: [] }]);
        if (!self!.reason.startsWith('the demand has no words')) assert.equal(self!.score, 1, self!.reason);
      }),
      { numRuns: 300 },
    );
  });

  test('the ranking, reasons included, does not depend on the order of the candidates', () => {
    fc.assert(
      fc.property(text, candidates, fc.array(fc.nat()), (demand, list, order) => {
        const shuffled: MatchCandidate[] = list
          .map((c, i) => ({ c, rank: (order[i] ?? i) * list.length + i }))
          .sort((x, y) => x.rank - y.rank)
          .map(({ c }) => c);
        assert.deepEqual(rankOffline(demand, shuffled), rankOffline(demand, list));
      }),
      { numRuns: 300 },
    );
  });

  test('placement links at or above autoLinkAt, suggests from suggestAt, creates below, and never joins a closed requirement unless allowed', () => {
    fc.assert(
      fc.property(text, candidates, tiers, (demand, list, tier) => {
        const ranked = rankOffline(demand, list);
        const placement = decidePlacement(ranked, list, tier);
        const best = ranked[0];
        if (!best || best.score < tier.suggestAt) return assert.equal(placement.action, 'create');
        const closed = list.find((c) => c.id === best.id)!.terminal && !tier.linkToTerminal;
        if (closed) return assert.deepEqual([placement.action, 'refersTo' in placement && placement.refersTo], ['create', best.id]);
        assert.equal(placement.action, 'link');
        if (placement.action !== 'link') return;
        assert.equal(placement.requirementId, best.id);
        assert.equal(placement.linkState, best.score >= tier.autoLinkAt ? 'linked' : 'suggested');
      }),
      { numRuns: 300 },
    );
  });

  test('mapping never puts a demand on a requirement of another product, each demand on exactly one, and a re-run changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(preparedDemands, async (demands) => {
        const pms = memoryRequirementStore();
        const first = await mapDemands(pms.store, demands);
        assert.deepEqual(first.failed, []);
        const productOf = new Map(demands.map((d) => [d.demandId, d.productId]));
        const placed = new Map<string, string>();
        for (const requirement of pms.all()) {
          for (const link of requirement.demands) {
            assert.equal(
              productOf.get(link.demandId),
              requirement.productId,
              `${link.demandId} merged into ${requirement.id} of another product`,
            );
            assert.ok(!placed.has(link.demandId), `${link.demandId} is on ${placed.get(link.demandId)} and ${requirement.id}`);
            placed.set(link.demandId, requirement.id);
          }
        }
        assert.deepEqual(
          first.outcomes.map((o) => [o.demandId, o.requirementId]),
          demands.map((d) => [d.demandId, placed.get(d.demandId)]),
        );
        const again = await mapDemands(pms.store, demands);
        assert.deepEqual(
          again.outcomes.map((o) => [o.demandId, o.requirementId, o.action]),
          first.outcomes.map((o) => [o.demandId, o.requirementId, 'unchanged']),
        );
      }),
      { numRuns: 60 },
    );
  });
});

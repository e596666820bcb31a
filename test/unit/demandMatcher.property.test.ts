import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MockActivityEnvironment } from '@temporalio/testing';
import './arbitraries/replay';
import { anyText, unusualCharacters } from './arbitraries/hostile';
import { createDemandMappingActivities } from '../../activities/demandMappingActivities';
import type { DemandLink, Requirement } from '../../src/domain/requirement';
import type { DemandLinkSink, DemandSource, NewRequirement, RequirementStore } from '../../src/connectors/demandConnectors';
import { ConflictError } from '../../src/shared/systemErrors';
import { findMatch, keyTerms, matcherConfigSchema, similarity, type MatchCandidate } from '../../src/domain/demandMatcher';
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
const candidates = fc.array(
  fc.record({ id: fc.constantFrom('R-1', 'R-2', 'R-3', 'R-10'), title: customerText, description: customerText }),
  { maxLength: 8 },
);
const thresholds = fc.constantFrom(0, 0.3, 0.45, 0.8, 1).map((threshold) => ({ ...config, threshold }));

/** An in-memory PMS with the store's contract: idempotent creates, links replaced only at the version read. */
function memoryPms(): { store: RequirementStore; all: () => Requirement[] } {
  const requirements = new Map<string, Requirement>();
  const byIdempotencyKey = new Map<string, string>();
  let clock = 0;
  const version = () => new Date(Date.UTC(2026, 0, 1) + ++clock * 1000).toISOString();
  const store: RequirementStore = {
    system: 'PMS',
    productIdsBySku: async () => new Map(),
    findByDemand: async (demandId) => [...requirements.values()].find((r) => r.demands.some((d) => d.demandId === demandId)),
    get: async (id) => requirements.get(id),
    listForProduct: async (productId) => [...requirements.values()].filter((r) => r.productId === productId),
    create: async (input: NewRequirement) => {
      const known = byIdempotencyKey.get(input.idempotencyKey);
      if (known) return requirements.get(known)!;
      const { idempotencyKey, ...fields } = input;
      const created: Requirement = { ...fields, id: `REQ-${requirements.size + 1}`, status: 'new', updatedAt: version(), terminal: false };
      requirements.set(created.id, created);
      byIdempotencyKey.set(idempotencyKey, created.id);
      return created;
    },
    replaceLinks: async (id: string, demands: DemandLink[], demandScore: number, expectedUpdatedAt: string) => {
      const current = requirements.get(id)!;
      if (current.updatedAt !== expectedUpdatedAt) throw new ConflictError('PMS', 'changed meanwhile');
      const updated = { ...current, demands, demandScore, updatedAt: version() };
      requirements.set(id, updated);
      return updated;
    },
    replaceOrderSignals: async () => {},
    listChanges: async () => ({ records: [], nextCursor: null, hasMore: false }),
  };
  return { store, all: () => [...requirements.values()] };
}

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
      matcher: config,
      scoring: scoringSchema.parse({}),
      contactFields: [],
    }),
    logger: createLogger('test', { level: 'silent' }),
  });
  return new MockActivityEnvironment().run((input) => activities.mapDemands(input), { integrationId: 'demands', demands });
}

describe('demand matcher over hostile and overlapping texts (properties)', () => {
  test('key terms of any text are lower-case ASCII words, the same every time', () => {
    fc.assert(
      fc.property(fc.oneof(customerText, anyText({ maxLength: 200 })), (input) => {
        const terms = [...keyTerms(input)];
        for (const term of terms) assert.match(term, /^[a-z0-9]{2,}$/);
        assert.deepEqual([...keyTerms(input)], terms);
      }),
      { numRuns: 300 },
    );
  });

  test('similarity is symmetric, between 0 and 1, and 1 for a text with key terms against itself', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        const ab = similarity(a, b);
        assert.deepEqual(similarity(b, a), ab);
        assert.ok(ab.score >= 0 && ab.score <= 1, `score ${ab.score}`);
        if (keyTerms(a.title).size > 0) assert.equal(similarity(a, a).score, 1);
      }),
      { numRuns: 300 },
    );
  });

  test('the match is the best candidate at or above the threshold, ties to the smaller id', () => {
    fc.assert(
      fc.property(text, candidates, thresholds, (demand, list, matcher) => {
        const match = findMatch(demand, list, matcher);
        const scores = list.map((candidate) => ({ id: candidate.id, score: similarity(demand, candidate).score }));
        const best = Math.max(-1, ...scores.map((s) => s.score));
        if (best < matcher.threshold) return assert.equal(match, undefined);
        assert.ok(match, 'a candidate at or above the threshold is found');
        assert.equal(match.score, best);
        assert.equal(
          match.id,
          scores
            .filter((s) => s.score === best)
            .map((s) => s.id)
            .sort()[0],
        );
      }),
      { numRuns: 300 },
    );
  });

  test('the match, reason included, does not depend on the order of the candidates', () => {
    fc.assert(
      fc.property(text, candidates, thresholds, fc.array(fc.nat()), (demand, list, matcher, order) => {
        const shuffled: MatchCandidate[] = list
          .map((c, i) => ({ c, rank: (order[i] ?? i) * list.length + i }))
          .sort((x, y) => x.rank - y.rank)
          .map(({ c }) => c);
        assert.deepEqual(findMatch(demand, shuffled, matcher), findMatch(demand, list, matcher));
      }),
      { numRuns: 300 },
    );
  });

  test('mapping never puts a demand on a requirement of another product, each demand on exactly one, and a re-run changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(preparedDemands, async (demands) => {
        const pms = memoryPms();
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

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDemandMappingActivities } from '../../activities/demandMappingActivities';
import type { DemandLink, Requirement } from '../../src/domain/requirement';
import type { DemandLinkSink, DemandSource, NewRequirement, RequirementStore } from '../../src/connectors/demandConnectors';
import { ConflictError } from '../../src/shared/systemErrors';
import { matcherConfigSchema } from '../../src/domain/demandMatcher';
import { createOfflineDemandMatcher } from '../../src/domain/offlineDemandMatcher';
import { scoringSchema } from '../../src/domain/demandScore';
import { createLogger } from '../../src/logging/logger';
import type { MapDemandsResult, PreparedDemand } from '../../src/shared/demandActivityTypes';

const link = (demandId: string, title: string): DemandLink => ({
  demandId,
  title,
  kind: 'feature-request',
  priority: 'medium',
  accountId: `A-${demandId}`,
  accountName: 'Acme',
  segment: 'smb',
  accountValue: 1000,
  matchReason: null,
  matchScore: null,
  linkState: 'linked',
  linkedAt: '2026-11-01T00:00:00.000Z',
});

/** A PMS where a product manager links another demand by hand just before our first write. */
function pmsWithConcurrentEdit() {
  let requirement: Requirement = {
    id: 'REQ-1',
    title: 'Export reports to Excel',
    description: '',
    productId: 'P-1',
    status: 'planned',
    demands: [link('D-1', 'Export reports to Excel')],
    demandScore: 1,
    updatedAt: '2026-11-01T00:00:00.000Z',
    terminal: false,
  };
  let writes = 0;
  const store: RequirementStore = {
    system: 'PMS',
    productIdsBySku: async () => new Map(),
    findByDemand: async (demandId: string) => (requirement.demands.some((d) => d.demandId === demandId) ? requirement : undefined),
    get: async () => requirement,
    listForProduct: async () => [requirement],
    create: async (input: NewRequirement) => ({ ...requirement, ...input, id: 'REQ-NEW' }),
    replaceLinks: async (_id: string, demands: DemandLink[], demandScore: number, expectedUpdatedAt: string) => {
      writes += 1;
      if (writes === 1) {
        // The product manager's edit lands first.
        requirement = {
          ...requirement,
          demands: [...requirement.demands, link('D-9', 'Added by hand')],
          updatedAt: '2026-11-02T00:00:00.000Z',
        };
      }
      if (expectedUpdatedAt !== requirement.updatedAt) throw new ConflictError('PMS', 'changed meanwhile');
      requirement = { ...requirement, demands, demandScore, updatedAt: '2026-11-03T00:00:00.000Z' };
      return requirement;
    },
    replaceOrderSignals: async () => {},
    listChanges: async () => ({ records: [], nextCursor: null, hasMore: false }),
  };
  return { store, current: () => requirement, writes: () => writes };
}

const demand: PreparedDemand = {
  demandId: 'D-2',
  title: 'Excel export for reports',
  description: '',
  kind: 'feature-request',
  priority: 'high',
  productId: 'P-1',
  otherProductIds: [],
  account: { id: 'A-2', name: 'Globex', segment: 'enterprise', value: 50_000 },
  current: { requirementId: null, status: null },
  position: { since: '2026-11-01T00:00:00.000Z', afterId: 'D-2' },
};

describe('linking a demand while a product manager edits the same requirement', () => {
  test('a conflicting write is redone on the fresh requirement, keeping what the product manager added', async () => {
    const pms = pmsWithConcurrentEdit();
    const activities = createDemandMappingActivities({
      integration: () => ({
        crm: {} as DemandSource & DemandLinkSink,
        pms: pms.store,
        matcher: createOfflineDemandMatcher(),
        placement: matcherConfigSchema.parse({}),
        scoring: scoringSchema.parse({}),
        contactFields: [],
      }),
      logger: createLogger('test', { level: 'silent' }),
    });
    const result: MapDemandsResult = await new MockActivityEnvironment().run((input) => activities.mapDemands(input), {
      integrationId: 'demands',
      demands: [demand],
    });
    assert.deepEqual(
      result.outcomes.map((o) => [o.demandId, o.requirementId, o.action]),
      [['D-2', 'REQ-1', 'linked']],
    );
    assert.deepEqual(
      pms.current().demands.map((d) => d.demandId),
      ['D-1', 'D-9', 'D-2'],
      'the hand-added D-9 survives',
    );
    assert.equal(pms.writes(), 2);
  });
});

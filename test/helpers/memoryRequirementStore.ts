import type { NewRequirement, RequirementStore } from '../../src/connectors/demandConnectors';
import { isTerminalStatus, type DemandLink, type Requirement } from '../../src/domain/requirement';
import { ConflictError } from '../../src/shared/systemErrors';

/**
 * An in-memory PMS with the RequirementStore contract: idempotent creates, links replaced only at
 * the version read, and a product manager's moves (status, link decisions) as the sandbox PMS makes them.
 */
export function memoryRequirementStore() {
  const requirements = new Map<string, Requirement>();
  const byIdempotencyKey = new Map<string, string>();
  let clock = 0;
  const version = () => new Date(Date.UTC(2026, 0, 1) + ++clock * 1000).toISOString();
  const store: RequirementStore = {
    system: 'PMS',
    productIdsBySku: async () => new Map(),
    findByDemand: async (demandId) =>
      [...requirements.values()].find((r) => r.demands.some((d) => d.demandId === demandId && d.linkState !== 'rejected')),
    get: async (id) => requirements.get(id),
    listForProduct: async (productId) => [...requirements.values()].filter((r) => r.productId === productId),
    create: async (input: NewRequirement) => {
      const known = byIdempotencyKey.get(input.idempotencyKey);
      if (known) return requirements.get(known)!;
      const { idempotencyKey, ...fields } = input;
      const created: Requirement = { ...fields, id: `REQ-${requirements.size + 1}`, status: 'new', terminal: false, updatedAt: version() };
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
  const change = (id: string, edit: (requirement: Requirement) => Requirement) => {
    requirements.set(id, { ...edit(requirements.get(id)!), updatedAt: version() });
  };
  return {
    store,
    all: () => [...requirements.values()],
    /** A product manager sets a status in the tool. */
    setStatus: (id: string, status: string) => change(id, (r) => ({ ...r, status, terminal: isTerminalStatus(status) })),
    /** A product manager confirms or rejects a demand's link in the tool. */
    decide: (id: string, demandId: string, decision: 'confirm' | 'reject') =>
      change(id, (r) => ({
        ...r,
        demands: r.demands.map((d) =>
          d.demandId === demandId ? { ...d, linkState: decision === 'confirm' ? 'confirmed' : 'rejected' } : d,
        ),
      })),
  };
}

import type { DemandIntegration, DemandSource, RequirementStore } from '../src/connectors/demandConnectors';
import { crmDemandSchema, crmOrderSchema, type ContactField, type CrmAccount, type CrmDemand } from '../src/domain/crmDemand';
import { creatingDecision, firstLink, sameLinks, standingLinks, withLink, type LinkDecision } from '../src/domain/demandLinks';
import type { DemandMatcher, MatchCandidate } from '../src/domain/demandMatcher';
import { decidePlacement, type PlacementTiers } from '../src/domain/demandPlacement';
import { budgetCut, pickContactFields, prepareDemand, skuProblem, type SkuResolution } from '../src/domain/demandPreparation';
import { demandScore, type ScoringConfig } from '../src/domain/demandScore';
import { batchesOfWholeOrders, orderSignals } from '../src/domain/orderSignals';
import type { Requirement } from '../src/domain/requirement';
import { sentStrings, withoutSentValues } from '../src/connectors/refusalReason';
import { describeIssues } from '../src/domain/validation';
import { compareCursors, positionOf, type ChangeCursor } from '../src/shared/changeCursor';
import { chunk } from '../src/shared/chunk';
import type {
  DemandOutcome,
  DemandPage,
  FeedPageInput,
  MapDemandsResult,
  OrderPage,
  OrderSignal,
  PreparedDemand,
} from '../src/shared/demandActivityTypes';
import type { PositionedIssue } from '../src/shared/recordIssues';
import { ConflictError, RequestRejectedError } from '../src/shared/systemErrors';
import { activityLogger } from './activityContext';
import { withFailureMapping } from './activityFailure';
import { countedPage, demandIntegrationFor, demandMetrics, type DemandDeps } from './demandActivityContext';
import { recordDemandNotes } from './demandNotes';

/** Times a link write is redone after someone changed the requirement meanwhile. */
const maxConflictRetries = 3;
/** Most signals one PMS request carries; an order's signals are never split across requests. */
const signalBatch = 500;

/** The CRM -> PMS half of a demand integration: demands onto requirements, orders into demand signals. */
export function createDemandMappingActivities(deps: DemandDeps) {
  const integrationFor = (integrationId: string): DemandIntegration => demandIntegrationFor(deps, integrationId);

  async function accountsById(crm: DemandSource, ids: string[]): Promise<Map<string, CrmAccount>> {
    const accounts = new Map<string, CrmAccount>();
    for (const part of chunk([...new Set(ids)], 1000))
      for (const account of await crm.readAccounts(part)) accounts.set(account.id, account);
    return accounts;
  }

  /**
   * Resolves SKUs through the CRM products product sync keeps. A SKU the CRM does not know but the
   * PMS does is a product not synced yet: `pending`, to be retried, not rejected.
   */
  async function resolveSkus(integration: DemandIntegration, skus: string[]): Promise<SkuResolution> {
    const resolved = new Map<string, string>();
    const unique = [...new Set(skus)];
    for (const part of chunk(unique, 1000)) for (const [sku, id] of await integration.crm.resolveSkus(part)) resolved.set(sku, id);
    const pending = new Set<string>();
    for (const part of chunk(
      unique.filter((sku) => !resolved.has(sku)),
      1000,
    )) {
      for (const sku of (await integration.pms.productIdsBySku(part)).keys()) pending.add(sku);
    }
    return { resolved, pending };
  }

  /** Contacts of the page, reduced to the configured fields; nothing is read when none are configured. */
  async function contactsById(
    crm: DemandSource,
    ids: string[],
    fields: readonly ContactField[],
  ): Promise<Map<string, Record<string, string>>> {
    const contacts = new Map<string, Record<string, string>>();
    if (fields.length === 0) return contacts;
    for (const part of chunk([...new Set(ids)], 1000)) {
      for (const contact of await crm.readContacts(part)) contacts.set(contact.id, pickContactFields(contact, fields));
    }
    return contacts;
  }

  return {
    /** One page of changed CRM demands, validated, with products resolved and account data attached. */
    async fetchDemandPage(input: FeedPageInput): Promise<DemandPage> {
      const integration = integrationFor(input.integrationId);
      const { crm, contactFields } = integration;
      return withFailureMapping(async (heartbeat) => {
        const page = await crm.listDemandChanges(input.cursor, input.limit);
        heartbeat.alive();
        const rejected: PositionedIssue[] = [];
        const valid: CrmDemand[] = [];
        for (const raw of page.records) {
          const parsed = crmDemandSchema.safeParse(raw);
          if (parsed.success) valid.push(parsed.data);
          else rejected.push({ id: raw.id, reason: `invalid CRM demand: ${describeIssues(parsed.error)}`, position: positionOf(raw) });
        }
        const accounts = await accountsById(
          crm,
          valid.map((d) => d.accountId),
        );
        const skus = await resolveSkus(
          integration,
          valid.flatMap((d) => d.skus),
        );
        const contacts = await contactsById(
          crm,
          valid.flatMap((d) => (d.contactId ? [d.contactId] : [])),
          contactFields,
        );
        const demands: PreparedDemand[] = [];
        const failed: PositionedIssue[] = [];
        for (const demand of valid) {
          const prepared = prepareDemand(demand, accounts, skus, contacts);
          if ('problem' in prepared) {
            (prepared.problem === 'rejected' ? rejected : failed).push({
              id: demand.id,
              reason: prepared.reason,
              position: positionOf(demand),
            });
          } else demands.push(prepared);
        }
        const cutAt = budgetCut(demands, input.maxBytes);
        if (!cutAt)
          return countedPage(deps, input.integrationId, 'demandMapping', {
            fetched: page.records.length,
            demands,
            rejected,
            failed,
            nextCursor: page.nextCursor,
            hasMore: page.hasMore,
          });
        // The page covers the records up to the cut; the next page starts right after it.
        const covered = (position: ChangeCursor) => compareCursors(position, cutAt) <= 0;
        return countedPage(deps, input.integrationId, 'demandMapping', {
          fetched: page.records.filter((record) => covered(positionOf(record))).length,
          demands: demands.filter((demand) => covered(demand.position)),
          rejected: rejected.filter((issue) => covered(issue.position)),
          failed: failed.filter((issue) => covered(issue.position)),
          nextCursor: cutAt,
          hasMore: true,
        });
      });
    },

    /**
     * Puts each demand on a PMS requirement: the one it is already on, an existing one saying the
     * same thing for the same product, or a new one. Idempotent: creates carry an idempotency key
     * and link lists are replaced whole, so a retry changes nothing twice.
     */
    async mapDemands(input: { integrationId: string; demands: PreparedDemand[] }): Promise<MapDemandsResult> {
      const { pms, matcher, placement, scoring, notes } = integrationFor(input.integrationId);
      const log = activityLogger(deps.logger, input.integrationId);
      return withFailureMapping(async (heartbeat) => {
        const byProduct = new Map<string, Requirement[]>();
        const result: MapDemandsResult = { outcomes: [], failed: [] };
        for (const demand of input.demands) {
          try {
            result.outcomes.push(await mapDemand({ store: pms, matcher, tiers: placement, scoring, cache: byProduct }, demand));
          } catch (error) {
            // The PMS refusing this one demand must not hold back the others. A refusal from another
            // system (the embeddings service: a wrong URL or model) is no fault of this demand: it stops the run.
            if (!(error instanceof RequestRejectedError) || error.system !== pms.system) throw error;
            // Without the demand's own values, which a PMS's refusal may echo.
            result.failed.push({ demandId: demand.demandId, reason: withoutSentValues(error.message, sentStrings(demand)) });
          }
          heartbeat.alive();
        }
        if (notes) await recordDemandNotes(notes, input.demands, result, () => heartbeat.alive());

        const counts = Object.fromEntries(
          ['created', 'linked', 'updated', 'unchanged'].map((a) => [a, result.outcomes.filter((o) => o.action === a).length]),
        );
        log.info(counts, 'demands mapped to requirements');
        const counters = demandMetrics(deps, input.integrationId, 'demandMapping');
        counters.recordsWritten(result.outcomes.length - (counts.unchanged ?? 0));
        counters.recordsUnchanged(counts.unchanged ?? 0);
        counters.recordsFailed(result.failed.length);
        return result;
      });
    },

    /** One page of changed CRM orders as per-product, per-month quantities for the PMS. */
    async fetchOrderPage(input: FeedPageInput): Promise<OrderPage> {
      const integration = integrationFor(input.integrationId);
      return withFailureMapping(async () => {
        const page = await integration.crm.listOrderChanges(input.cursor, input.limit);
        const parsed = page.records.map((raw) => ({ raw, result: crmOrderSchema.safeParse(raw) }));
        const skus = await resolveSkus(
          integration,
          parsed.flatMap(({ result }) => (result.success ? result.data.lines.map((l) => l.sku) : [])),
        );
        const products = skus.resolved;
        const out: OrderPage = {
          fetched: page.records.length,
          signals: [],
          rejected: [],
          failed: [],
          nextCursor: page.nextCursor,
          hasMore: page.hasMore,
        };
        for (const { raw, result } of parsed) {
          if (!result.success) {
            out.rejected.push({ id: raw.id, reason: `invalid CRM order: ${describeIssues(result.error)}`, position: positionOf(raw) });
            continue;
          }
          const order = result.data;
          const problem = skuProblem(
            order.lines.map((line) => line.sku),
            skus,
          );
          if (problem) {
            (problem.problem === 'rejected' ? out.rejected : out.failed).push({
              id: order.id,
              reason: problem.reason,
              position: positionOf(order),
            });
            continue;
          }
          const signals = orderSignals(order.id, order.orderedAt, order.lines, products);
          if (signals.length > signalBatch) {
            out.rejected.push({
              id: order.id,
              reason: `has ${signals.length} different products; at most ${signalBatch} fit one PMS request`,
              position: positionOf(order),
            });
            continue;
          }
          out.signals.push(...signals);
        }
        return countedPage(deps, input.integrationId, 'orderSignals', out);
      });
    },

    /**
     * Replaces whole orders' quantities in the PMS, so re-sending an order never double-counts and
     * an edited order keeps no old product or month. Batches never split an order.
     */
    async upsertDemandSignals(input: { integrationId: string; signals: OrderSignal[] }): Promise<number> {
      const { pms } = integrationFor(input.integrationId);
      return withFailureMapping(async (heartbeat) => {
        for (const part of batchesOfWholeOrders(input.signals, signalBatch)) {
          await pms.replaceOrderSignals(part);
          heartbeat.alive();
        }
        demandMetrics(deps, input.integrationId, 'orderSignals').recordsWritten(input.signals.length);
        return input.signals.length;
      });
    },
  };
}

/** What placing demands needs: the PMS, the matcher and its tiers, scoring, and the product's requirements read so far. */
interface Placing {
  store: RequirementStore;
  matcher: DemandMatcher;
  tiers: PlacementTiers;
  scoring: ScoringConfig;
  cache: Map<string, Requirement[]>;
}

/** The demand's own link on a requirement, unless a product manager rejected it there. */
const standsOn = (requirement: Requirement | undefined, demandId: string): requirement is Requirement =>
  requirement !== undefined && requirement.demands.some((link) => link.demandId === demandId && link.linkState !== 'rejected');

/**
 * A requirement as the matcher sees it: its own text and the titles of the demands the bridge
 * linked or a product manager confirmed (not suggested ones, not rejected ones).
 */
function candidateOf(requirement: Requirement): MatchCandidate {
  return {
    id: requirement.id,
    title: requirement.title,
    description: requirement.description,
    terminal: requirement.terminal,
    demands: requirement.demands
      .filter((link) => link.linkState === 'linked' || link.linkState === 'confirmed')
      .map((link) => ({ title: link.title, description: '' })),
  };
}

type PlacementChoice = { requirement: Requirement; decision: LinkDecision } | { requirement: undefined; refersTo?: string; reason: string };

/**
 * The requirement a demand belongs to: the one already linking it (the same demand always maps to
 * the same requirement, in whatever state a product manager left the link), else what the matcher's
 * ranking and the tiers decide among the product's requirements. A requirement a product manager
 * rejected the demand from is never proposed again.
 */
async function placeDemand(placing: Placing, demand: PreparedDemand): Promise<PlacementChoice> {
  const { store, cache } = placing;
  const found = await store.findByDemand(demand.demandId);
  const current = found ?? (demand.current.requirementId ? await store.get(demand.current.requirementId) : undefined);
  if (standsOn(current, demand.demandId)) return { requirement: current, decision: creatingDecision };
  let requirements = cache.get(demand.productId);
  if (!requirements) {
    requirements = await store.listForProduct(demand.productId);
    cache.set(demand.productId, requirements);
  }
  const rejectedFrom = new Set(
    requirements
      .filter((r) => r.demands.some((link) => link.demandId === demand.demandId && link.linkState === 'rejected'))
      .map((r) => r.id),
  );
  const candidates = requirements.map(candidateOf);
  const ranked = await placing.matcher.rank(demand, candidates);
  const placement = decidePlacement(ranked, candidates, placing.tiers, rejectedFrom);
  if (placement.action === 'create') {
    return { requirement: undefined, reason: placement.reason, ...(placement.refersTo ? { refersTo: placement.refersTo } : {}) };
  }
  return {
    requirement: requirements.find((r) => r.id === placement.requirementId)!,
    decision: { matchReason: `merged: ${placement.reason}`, matchScore: placement.score, linkState: placement.linkState },
  };
}

/** Places one demand on a requirement (creating one if nothing matches) and reports what it did. */
async function mapDemand(placing: Placing, demand: PreparedDemand, attempt = 1): Promise<DemandOutcome> {
  const { store, cache, scoring } = placing;
  const choice = await placeDemand(placing, demand);
  if (!choice.requirement) {
    const links = firstLink(demand, new Date().toISOString());
    const created = await store.create({
      title: demand.title,
      description: demand.description,
      productId: demand.productId,
      demands: links,
      demandScore: demandScore(links, scoring),
      idempotencyKey: `crm-demand:${demand.demandId}`,
      ...(choice.refersTo ? { refersTo: choice.refersTo } : {}),
    });
    cache.get(demand.productId)?.push(created);
    return {
      demandId: demand.demandId,
      requirementId: created.id,
      requirementStatus: created.status,
      action: 'created',
      matchReason: null,
    };
  }
  const { requirement, decision } = choice;
  const wasLinked = requirement.demands.some((link) => link.demandId === demand.demandId);
  const links = withLink(requirement.demands, demand, decision, new Date().toISOString());
  if (sameLinks(links, requirement.demands)) {
    return {
      demandId: demand.demandId,
      requirementId: requirement.id,
      requirementStatus: requirement.status,
      action: 'unchanged',
      matchReason: null,
    };
  }
  let updated: Requirement;
  try {
    // Conditional on the version read: the link list is replaced whole. Rejected links do not count.
    updated = await store.replaceLinks(requirement.id, links, demandScore(standingLinks(links), scoring), requirement.updatedAt);
  } catch (error) {
    if (!(error instanceof ConflictError) || attempt >= maxConflictRetries) throw error;
    // Someone (a product manager) changed the requirement meanwhile: read it again and decide
    // again, so a demand they moved elsewhere is not pulled back.
    const fresh = await store.get(requirement.id);
    const cached = cache.get(requirement.productId) ?? [];
    cache.set(
      requirement.productId,
      fresh ? cached.map((r) => (r.id === fresh.id ? fresh : r)) : cached.filter((r) => r.id !== requirement.id),
    );
    return mapDemand(placing, demand, attempt + 1);
  }
  const cached = cache.get(updated.productId);
  if (cached)
    cache.set(
      updated.productId,
      cached.map((r) => (r.id === updated.id ? updated : r)),
    );
  return {
    demandId: demand.demandId,
    requirementId: updated.id,
    requirementStatus: updated.status,
    action: wasLinked ? 'updated' : 'linked',
    matchReason: wasLinked ? null : decision.matchReason,
  };
}

export type DemandMappingActivities = ReturnType<typeof createDemandMappingActivities>;

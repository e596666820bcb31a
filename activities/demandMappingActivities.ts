import { Context } from '@temporalio/activity';
import type { ChangeCursor } from '../src/connectors/changeFeed';
import { ConflictError, RequestRejectedError } from '../src/connectors/errors';
import type { DemandLink, DemandLinkSink, DemandSource, Requirement, RequirementStore } from '../src/connectors/demandConnectors';
import {
  crmDemandSchema,
  crmOrderSchema,
  orderPeriod,
  type ContactField,
  type CrmAccount,
  type CrmContact,
  type CrmDemand,
} from '../src/domain/crmDemand';
import { findMatch, type MatcherConfig } from '../src/domain/demandMatcher';
import { demandScore, type ScoringConfig } from '../src/domain/demandScore';
import { describeIssues } from '../src/domain/validation';
import type { Logger } from '../src/logging/logger';
import { lagSeconds, noSyncMetrics, type SyncMetrics } from '../src/metrics/syncMetrics';
import type {
  DemandOutcome,
  DemandPage,
  FeedPageInput,
  LinkUpdate,
  MapDemandsResult,
  OrderPage,
  OrderSignal,
  PositionedIssue,
  PreparedDemand,
  RequirementPage,
  VerifyLinksResult,
  WriteLinksResult,
} from '../workflows/demandTypes';
import { chunk } from '../src/chunk';
import { activityLogger, requireIntegration } from './activityContext';
import { withFailureMapping } from './activityFailure';
import { recordDemandNotes, type DemandNotesTarget } from './demandNotes';
import { compareCursors } from '../workflows/feedCursor';

/** What one demand integration's activities talk to, from configuration. */
export interface DemandIntegration {
  crm: DemandSource & DemandLinkSink;
  pms: RequirementStore;
  matcher: MatcherConfig;
  scoring: ScoringConfig;
  /** Contact fields that may leave the CRM with a demand; none unless configured. */
  contactFields: readonly ContactField[];
  /** Where each mapped demand is also written as a note (e.g. Productboard); none unless configured. */
  notes?: DemandNotesTarget;
}

export interface DemandDeps {
  integration(integrationId: string): DemandIntegration | undefined;
  logger: Logger;
  /** Counters on the worker's metrics endpoint; none when absent. */
  metrics?: SyncMetrics;
}

/** What the metrics call each stream of work of a demand integration. */
type DemandWork = 'demandMapping' | 'orderSignals' | 'demandLinks' | 'demandStatus';

const linkWriteBatch = 100;
/** Times a link write is redone after someone changed the requirement meanwhile. */
const maxConflictRetries = 3;
/** Most signals one PMS request carries; an order's signals are never split across requests. */
const signalBatch = 500;

function positionOf(record: { id: string; updatedAt: string }): ChangeCursor {
  return { since: record.updatedAt, afterId: record.id };
}

function pick(contact: CrmContact, fields: readonly ContactField[]): Record<string, string> {
  return Object.fromEntries(fields.map((field) => [field, contact[field]]));
}

/** A demand's place on a requirement: who asked and what stands behind it; contact data only if configured. */
function linkFor(demand: PreparedDemand, matchReason: string | null, linkedAt: string): DemandLink {
  return {
    demandId: demand.demandId,
    title: demand.title,
    kind: demand.kind,
    priority: demand.priority,
    accountId: demand.account.id,
    accountName: demand.account.name,
    segment: demand.account.segment,
    accountValue: demand.account.value,
    matchReason,
    linkedAt,
    ...(demand.contact ? { contact: demand.contact } : {}),
  };
}

/** The link list with this demand's entry added or refreshed; how and when it was linked stay. */
function withLink(links: DemandLink[], demand: PreparedDemand, matchReason: string | null): DemandLink[] {
  const existing = links.find((link) => link.demandId === demand.demandId);
  const fresh = linkFor(demand, existing?.matchReason ?? matchReason, existing?.linkedAt ?? new Date().toISOString());
  return existing ? links.map((link) => (link.demandId === demand.demandId ? fresh : link)) : [...links, fresh];
}

/** Compares what the bridge writes on a link, whatever key order or extra fields the PMS returns. */
function sameLinks(a: DemandLink[], b: DemandLink[]): boolean {
  const owned = (link: DemandLink) =>
    JSON.stringify([
      link.demandId,
      link.title,
      link.kind,
      link.priority,
      link.accountId,
      link.accountName,
      link.segment,
      link.accountValue,
      link.matchReason,
      link.linkedAt,
      link.contact ?? null,
    ]);
  return a.length === b.length && a.every((link, index) => owned(link) === owned(b[index]!));
}

export function createDemandActivities(deps: DemandDeps) {
  const integrationFor = (integrationId: string): DemandIntegration =>
    requireIntegration((id) => deps.integration(id), integrationId, 'demand');

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
      for (const contact of await crm.readContacts(part)) contacts.set(contact.id, pick(contact, fields));
    }
    return contacts;
  }

  function prepareDemand(
    demand: CrmDemand,
    accounts: Map<string, CrmAccount>,
    skus: SkuResolution,
    contacts: Map<string, Record<string, string>>,
  ): PreparedDemand | Problem {
    const products = skus.resolved;
    const problem = skuProblem(demand.skus, skus);
    if (problem) return problem;
    const account = accounts.get(demand.accountId);
    if (!account) return { problem: 'rejected', reason: `its account ${demand.accountId} does not exist in the CRM` };
    const [productId, ...otherProductIds] = demand.skus.map((sku) => products.get(sku)!);
    return {
      demandId: demand.id,
      title: demand.title,
      description: demand.description,
      kind: demand.kind,
      priority: demand.priority,
      productId: productId!,
      otherProductIds: [...new Set(otherProductIds)].filter((id) => id !== productId),
      account: { id: account.id, name: account.name, segment: account.segment, value: account.annualValue },
      ...(demand.contactId && contacts.has(demand.contactId) ? { contact: contacts.get(demand.contactId) } : {}),
      current: { requirementId: demand.pmsRequirementId, status: demand.pmsStatus },
      position: positionOf(demand),
    };
  }

  const metrics = (integrationId: string, work: DemandWork) => (deps.metrics ?? noSyncMetrics).forIntegration(integrationId, work);

  /** Counts a fetched page on the metrics endpoint and hands it on. */
  function counted<
    P extends { fetched: number; rejected?: unknown[]; failed?: unknown[]; nextCursor: ChangeCursor | null; hasMore: boolean },
  >(integrationId: string, work: DemandWork, page: P): P {
    const counters = metrics(integrationId, work);
    counters.recordsFetched(page.fetched);
    counters.recordsRejected(page.rejected?.length ?? 0);
    counters.recordsFailed(page.failed?.length ?? 0);
    counters.syncLag(lagSeconds(page.nextCursor?.since ?? null, !page.hasMore));
    return page;
  }

  return {
    /** One page of changed CRM demands, validated, with products resolved and account data attached. */
    async fetchDemandPage(input: FeedPageInput): Promise<DemandPage> {
      const integration = integrationFor(input.integrationId);
      const { crm, contactFields } = integration;
      return withFailureMapping(async () => {
        const page = await crm.listDemandChanges(input.cursor, input.limit);
        Context.current().heartbeat();
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
          return counted(input.integrationId, 'demandMapping', {
            fetched: page.records.length,
            demands,
            rejected,
            failed,
            nextCursor: page.nextCursor,
            hasMore: page.hasMore,
          });
        // The page covers the records up to the cut; the next page starts right after it.
        const covered = (position: ChangeCursor) => compareCursors(position, cutAt) <= 0;
        return counted(input.integrationId, 'demandMapping', {
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
      const { pms, matcher, scoring, notes } = integrationFor(input.integrationId);
      const log = activityLogger(deps.logger, input.integrationId);
      return withFailureMapping(async () => {
        const byProduct = new Map<string, Requirement[]>();
        const result: MapDemandsResult = { outcomes: [], failed: [] };
        for (const demand of input.demands) {
          try {
            result.outcomes.push(await mapDemand(pms, demand, byProduct, matcher, scoring));
          } catch (error) {
            // The PMS refusing this one demand must not hold back the others.
            if (!(error instanceof RequestRejectedError)) throw error;
            result.failed.push({ demandId: demand.demandId, reason: error.message });
          }
          Context.current().heartbeat();
        }
        if (notes) await recordDemandNotes(notes, input.demands, result, () => Context.current().heartbeat());

        const counts = Object.fromEntries(
          ['created', 'linked', 'updated', 'unchanged'].map((a) => [a, result.outcomes.filter((o) => o.action === a).length]),
        );
        log.info(counts, 'demands mapped to requirements');
        const counters = metrics(input.integrationId, 'demandMapping');
        counters.recordsWritten(result.outcomes.length - (counts.unchanged ?? 0));
        counters.recordsUnchanged(counts.unchanged ?? 0);
        counters.recordsFailed(result.failed.length);
        return result;
      });
    },

    /** Writes the requirement id and status onto CRM demands (only those fields; only when different). */
    async writeDemandLinks(input: { integrationId: string; links: LinkUpdate[] }): Promise<WriteLinksResult> {
      const { crm } = integrationFor(input.integrationId);
      return withFailureMapping(async () => {
        const result: WriteLinksResult = { changed: [], unchanged: [], missing: [] };
        for (const part of chunk(input.links, Math.min(linkWriteBatch, crm.maxLinkBatch))) {
          for (const outcome of await crm.updateDemandLinks(part)) {
            (outcome.found ? (outcome.changed ? result.changed : result.unchanged) : result.missing).push(outcome.id);
          }
          Context.current().heartbeat();
        }
        const counters = metrics(input.integrationId, 'demandLinks');
        counters.recordsWritten(result.changed.length);
        counters.recordsUnchanged(result.unchanged.length);
        return result;
      });
    },

    /** Reads the demands back and checks that they show the link that was written. */
    async verifyDemandLinks(input: { integrationId: string; links: LinkUpdate[] }): Promise<VerifyLinksResult> {
      const { crm } = integrationFor(input.integrationId);
      return withFailureMapping(async () => {
        const current = new Map<string, Record<string, unknown>>();
        for (const part of chunk(
          input.links.map((l) => l.id),
          1000,
        ))
          for (const demand of await crm.readDemands(part)) current.set(demand.id, demand);
        const result: VerifyLinksResult = { verified: [], mismatched: [] };
        for (const link of input.links) {
          const demand = current.get(link.id);
          if (demand?.pmsRequirementId === link.pmsRequirementId && demand.pmsStatus === link.pmsStatus) result.verified.push(link.id);
          else
            result.mismatched.push({
              id: link.id,
              reason: demand ? 'the CRM demand shows a different link than was written' : 'the demand is no longer in the CRM',
            });
        }
        metrics(input.integrationId, 'demandLinks').recordsMismatched(result.mismatched.length);
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
        return counted(input.integrationId, 'orderSignals', out);
      });
    },

    /**
     * Replaces whole orders' quantities in the PMS, so re-sending an order never double-counts and
     * an edited order keeps no old product or month. Batches never split an order.
     */
    async upsertDemandSignals(input: { integrationId: string; signals: OrderSignal[] }): Promise<number> {
      const { pms } = integrationFor(input.integrationId);
      return withFailureMapping(async () => {
        for (const part of batchesOfWholeOrders(input.signals, signalBatch)) {
          await pms.replaceOrderSignals(part);
          Context.current().heartbeat();
        }
        metrics(input.integrationId, 'orderSignals').recordsWritten(input.signals.length);
        return input.signals.length;
      });
    },

    /** One page of changed PMS requirements as the link and status every linked demand must show. */
    async fetchRequirementChanges(input: FeedPageInput): Promise<RequirementPage> {
      const { pms } = integrationFor(input.integrationId);
      return withFailureMapping(async () => {
        const page = await pms.listChanges(input.cursor, input.limit);
        const updates = page.records.flatMap((requirement) =>
          requirement.demands.map((link) => ({
            id: link.demandId,
            pmsRequirementId: requirement.id,
            pmsStatus: requirement.status,
            position: positionOf(requirement),
          })),
        );
        return counted(input.integrationId, 'demandStatus', {
          fetched: page.records.length,
          updates,
          nextCursor: page.nextCursor,
          hasMore: page.hasMore,
        });
      });
    },
  };
}

/**
 * Where a page of demands must end so its data stays within the byte budget (descriptions are
 * free text of up to 20,000 characters): the position of the last demand that fits, or undefined
 * when all fit. At least one demand always goes, so paging cannot stall.
 */
function budgetCut(demands: PreparedDemand[], maxBytes: number | undefined): ChangeCursor | undefined {
  if (maxBytes === undefined) return undefined;
  let bytes = 0;
  for (const [index, demand] of demands.entries()) {
    bytes += Buffer.byteLength(JSON.stringify(demand));
    if (bytes > maxBytes && index > 0) return demands[index - 1]!.position;
  }
  return undefined;
}

interface SkuResolution {
  /** SKU -> PMS product id, through the CRM's product records. */
  resolved: Map<string, string>;
  /** SKUs the PMS has but the CRM not yet. */
  pending: Set<string>;
}

interface Problem {
  problem: 'rejected' | 'pending';
  reason: string;
}

/**
 * Why a record's products cannot be resolved, if they cannot: a SKU nobody knows rejects the
 * record (never guessed); a SKU only the PMS knows waits for the product sync.
 */
function skuProblem(skus: string[], resolution: SkuResolution): Problem | undefined {
  const unresolved = [...new Set(skus.filter((sku) => !resolution.resolved.has(sku)))];
  if (unresolved.length === 0) return undefined;
  const unknown = unresolved.filter((sku) => !resolution.pending.has(sku));
  if (unknown.length > 0)
    return { problem: 'rejected', reason: `names product ${unknown.join(', ')}, which neither the CRM nor the PMS knows; not guessed` };
  return {
    problem: 'pending',
    reason: `names product ${unresolved.join(', ')}, which is in the PMS but not yet in the CRM (the product sync has not brought it over); the next run retries it`,
  };
}

/** Groups signals into batches of at most `size`, keeping each order's signals together. */
export function batchesOfWholeOrders(signals: OrderSignal[], size: number): OrderSignal[][] {
  const byOrder = new Map<string, OrderSignal[]>();
  for (const signal of signals) byOrder.set(signal.orderId, [...(byOrder.get(signal.orderId) ?? []), signal]);
  const batches: OrderSignal[][] = [];
  let current: OrderSignal[] = [];
  for (const orderSignals of byOrder.values()) {
    if (current.length > 0 && current.length + orderSignals.length > size) {
      batches.push(current);
      current = [];
    }
    current = [...current, ...orderSignals];
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Quantities per product of one order, lines of the same product added up. */
export function orderSignals(
  orderId: string,
  orderedAt: string,
  lines: Array<{ sku: string; quantity: number }>,
  products: Map<string, string>,
): OrderSignal[] {
  const period = orderPeriod(orderedAt);
  const byProduct = new Map<string, number>();
  for (const line of lines) {
    const productId = products.get(line.sku)!;
    byProduct.set(productId, (byProduct.get(productId) ?? 0) + line.quantity);
  }
  return [...byProduct].map(([productId, quantity]) => ({ productId, period, orderId, quantity }));
}

/**
 * The requirement a demand belongs to: the one already linking it (the same demand always maps
 * to the same requirement), else the best match among the product's requirements.
 */
async function placeDemand(pms: RequirementStore, demand: PreparedDemand, byProduct: Map<string, Requirement[]>, matcher: MatcherConfig) {
  const linked =
    (await pms.findByDemand(demand.demandId)) ?? (demand.current.requirementId ? await pms.get(demand.current.requirementId) : undefined);
  if (linked) return { requirement: linked, matchReason: null as string | null };
  let candidates = byProduct.get(demand.productId);
  if (!candidates) {
    candidates = await pms.listForProduct(demand.productId);
    byProduct.set(demand.productId, candidates);
  }
  // A requirement is compared with its own text and with every demand already linked to it, so a
  // new wording only needs to resemble one of the ways customers have put it.
  const texts = candidates.flatMap((requirement) => [
    { id: requirement.id, title: requirement.title, description: requirement.description },
    ...requirement.demands.map((link) => ({ id: requirement.id, title: link.title, description: '' })),
  ]);
  const match = findMatch(demand, texts, matcher);
  const requirement = match ? candidates.find((candidate) => candidate.id === match.id) : undefined;
  return { requirement, matchReason: match ? `merged: ${match.reason}` : null };
}

/** Places one demand on a requirement (creating one if nothing matches) and reports what it did. */
async function mapDemand(
  store: RequirementStore,
  demand: PreparedDemand,
  cache: Map<string, Requirement[]>,
  matcherConfig: MatcherConfig,
  scoringConfig: ScoringConfig,
  attempt = 1,
): Promise<DemandOutcome> {
  const { requirement, matchReason } = await placeDemand(store, demand, cache, matcherConfig);
  if (!requirement) {
    const links = [linkFor(demand, null, new Date().toISOString())];
    const created = await store.create({
      title: demand.title,
      description: demand.description,
      productId: demand.productId,
      demands: links,
      demandScore: demandScore(links, scoringConfig),
      idempotencyKey: `crm-demand:${demand.demandId}`,
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
  const wasLinked = requirement.demands.some((link) => link.demandId === demand.demandId);
  const links = withLink(requirement.demands, demand, matchReason);
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
    // Conditional on the version read: the link list is replaced whole.
    updated = await store.replaceLinks(requirement.id, links, demandScore(links, scoringConfig), requirement.updatedAt);
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
    return mapDemand(store, demand, cache, matcherConfig, scoringConfig, attempt + 1);
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
    matchReason: wasLinked ? null : matchReason,
  };
}

export type DemandActivities = ReturnType<typeof createDemandActivities>;

import { positionOf, type ChangeCursor } from '../shared/changeCursor';
import type { PreparedDemand } from '../shared/demandActivityTypes';
import type { ContactField, CrmAccount, CrmContact, CrmDemand } from './crmDemand';

/**
 * Turning a validated CRM demand into what the PMS side needs: its products resolved to PMS ids,
 * its account's name and value, and only the contact fields the configuration names. Pure: the
 * activity reads accounts, SKUs and contacts, this decides.
 */

export interface SkuResolution {
  /** SKU -> PMS product id, through the CRM's product records. */
  resolved: Map<string, string>;
  /** SKUs the PMS has but the CRM not yet. */
  pending: Set<string>;
}

/** Why a record cannot be placed: rejected for good, or pending until its products sync. */
export interface PlacementProblem {
  problem: 'rejected' | 'pending';
  reason: string;
}

/**
 * Why a record's products cannot be resolved, if they cannot: a SKU nobody knows rejects the
 * record (never guessed); a SKU only the PMS knows waits for the product sync.
 */
export function skuProblem(skus: string[], resolution: SkuResolution): PlacementProblem | undefined {
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

/** Only the named contact fields leave the CRM. */
export function pickContactFields(contact: CrmContact, fields: readonly ContactField[]): Record<string, string> {
  return Object.fromEntries(fields.map((field) => [field, contact[field]]));
}

/** The demand as the PMS side needs it, or why it cannot be placed (yet). */
export function prepareDemand(
  demand: CrmDemand,
  accounts: Map<string, CrmAccount>,
  skus: SkuResolution,
  contacts: Map<string, Record<string, string>>,
): PreparedDemand | PlacementProblem {
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

/**
 * Where a page of demands must end so its data stays within the byte budget (descriptions are
 * free text of up to 20,000 characters): the position of the last demand that fits, or undefined
 * when all fit. At least one demand always goes, so paging cannot stall.
 */
export function budgetCut(demands: PreparedDemand[], maxBytes: number | undefined): ChangeCursor | undefined {
  if (maxBytes === undefined) return undefined;
  let bytes = 0;
  for (const [index, demand] of demands.entries()) {
    bytes += Buffer.byteLength(JSON.stringify(demand));
    if (bytes > maxBytes && index > 0) return demands[index - 1]!.position;
  }
  return undefined;
}

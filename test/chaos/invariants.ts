import { isAfterCursor, type ChangeCursor } from '../../src/shared/changeCursor';
import { contentHash } from '../../src/domain/contentHash';
import { defaultFieldMapping, fieldMappingSchema, mapProduct } from '../../src/domain/fieldMapping';
import type { RawPmsProduct } from '../../src/domain/pmsProduct';
import { validatePmsProduct } from '../../src/domain/validation';
import { generateCustomers } from '../../src/sandbox/crmCustomerSeed';
import type { ProductSyncSummary } from '../../src/shared/productSyncContract';
import type { SyncMode } from '../../src/shared/syncModes';
import type { TestSandbox } from '../helpers/sandbox';

/**
 * The checks every chaos scenario ends with. Each list names the records that break the rule, so a
 * failing run says exactly what was lost, duplicated or wrong; an empty list is the rule holding.
 */
export interface InvariantReport {
  /** PMS records examined at the end. */
  recordsChecked: number;
  /** Valid PMS records the CRM does not hold. */
  lost: string[];
  /** CRM records held, or created, more than once. */
  duplicates: string[];
  /** CRM records whose content hash differs from the PMS record's. */
  mismatched: string[];
  /** Deleted (or, in mirror mode, discontinued) PMS records still active in the CRM. */
  notArchived: string[];
  /** Invalid PMS records the run did not list as rejected with a reason. */
  unlistedRejects: string[];
  /** Demands on more than one requirement, or twice on one. */
  demandsLinkedTwice: string[];
  /** Product and month whose order quantity is not the sum of its order lines. */
  orderMismatches: string[];
  /** Records at or before a sampled watermark that the CRM did not hold, verified, at that moment. */
  watermarkAhead: string[];
  /** Calls that reached a system while the run said it waits for an operator. */
  callsWhileWaiting: string[];
}

export type Violations = Omit<InvariantReport, 'recordsChecked'>;

const mapping = fieldMappingSchema.parse(defaultFieldMapping);
const ownedFields = Object.keys(mapping);

/** What the CRM must show for one PMS record after a sync in `mode`. */
type Expectation = { kind: 'held'; hash: string } | { kind: 'notActive' } | { kind: 'rejected' } | { kind: 'any' };

/** Expectations depend only on a record's content, so they are cached by id and version. */
const expectations = new Map<string, Expectation>();

export function expectationFor(raw: RawPmsProduct, mode: SyncMode): Expectation {
  const key = `${mode}|${raw.id}|${raw.updatedAt}`;
  const cached = expectations.get(key);
  if (cached) return cached;
  const expectation = computeExpectation(raw, mode);
  expectations.set(key, expectation);
  return expectation;
}

function computeExpectation(raw: RawPmsProduct, mode: SyncMode): Expectation {
  if (raw.deleted) return mode === 'mirror' ? { kind: 'notActive' } : { kind: 'any' };
  const validated = validatePmsProduct(raw);
  if (!validated.ok) return { kind: 'rejected' };
  if (mode === 'mirror' && validated.product.lifecycle === 'discontinued') return { kind: 'notActive' };
  return { kind: 'held', hash: contentHash(mapProduct(validated.product, mapping), false, ownedFields) };
}

interface CrmView {
  hashOf(externalId: string): { hash: string; archived: boolean } | undefined;
  copies(externalId: string): number;
}

function crmView(sandbox: TestSandbox): CrmView {
  const byId = new Map<string, Array<{ hash: string; archived: boolean }>>();
  for (const record of sandbox.crm.store.all()) {
    const entry = { hash: contentHash(record.properties, record.archived, ownedFields), archived: record.archived };
    byId.set(record.externalId, [...(byId.get(record.externalId) ?? []), entry]);
  }
  return { hashOf: (id) => byId.get(id)?.[0], copies: (id) => byId.get(id)?.length ?? 0 };
}

export function emptyViolations(): Violations {
  return {
    lost: [],
    duplicates: [],
    mismatched: [],
    notArchived: [],
    unlistedRejects: [],
    demandsLinkedTwice: [],
    orderMismatches: [],
    watermarkAhead: [],
    callsWhileWaiting: [],
  };
}

/**
 * Every valid PMS record held exactly once with the PMS's content; deleted ones not active (mirror);
 * invalid ones listed as rejected with a reason; no record created twice.
 */
export function checkProducts(
  sandbox: TestSandbox,
  options: { mode: SyncMode; summaries: ProductSyncSummary[]; recordsCreated?: number },
): { recordsChecked: number; violations: Violations } {
  const violations = emptyViolations();
  const crm = crmView(sandbox);
  const rejected = new Map(options.summaries.flatMap((summary) => summary.rejected.map((issue) => [issue.id, issue.reason])));
  const products = sandbox.pmsProducts();
  for (const raw of products) {
    const expected = expectationFor(raw, options.mode);
    const held = crm.hashOf(raw.id);
    if (crm.copies(raw.id) > 1) violations.duplicates.push(raw.id);
    if (expected.kind === 'held') {
      if (!held || held.archived) violations.lost.push(raw.id);
      else if (held.hash !== expected.hash) violations.mismatched.push(raw.id);
    } else if (expected.kind === 'notActive') {
      if (held && !held.archived) violations.notArchived.push(raw.id);
    } else if (expected.kind === 'rejected') {
      if (!rejected.get(raw.id)?.trim()) violations.unlistedRejects.push(raw.id);
    }
  }
  // The sandbox CRM keys records on the external id, so a second create of the same record would
  // show up as more creates than records rather than as a second row.
  const held = sandbox.crm.store.count();
  if (options.recordsCreated !== undefined && options.recordsCreated > held) {
    violations.duplicates.push(`${options.recordsCreated - held} more creates than records in the CRM`);
  }
  return { recordsChecked: products.length, violations };
}

/**
 * The watermark promise: every record at or before it is in the CRM as the PMS has it now. Called
 * while a run is going, with the watermark its `progress` query just answered.
 */
export function checkWatermark(sandbox: TestSandbox, watermark: ChangeCursor | null, mode: SyncMode): string[] {
  if (watermark === null) return [];
  const crm = crmView(sandbox);
  const ahead: string[] = [];
  for (const raw of sandbox.pmsProducts()) {
    if (isAfterCursor(raw, watermark)) continue;
    const expected = expectationFor(raw, mode);
    const held = crm.hashOf(raw.id);
    const ok =
      expected.kind === 'held'
        ? held !== undefined && !held.archived && held.hash === expected.hash
        : expected.kind === 'notActive'
          ? !held || held.archived
          : true;
    if (!ok) ahead.push(`${raw.id} (watermark ${watermark.since} ${watermark.afterId})`);
  }
  return ahead;
}

/** No demand linked twice; order quantities per product and month equal the sum of the order lines. */
export function checkDemands(sandbox: TestSandbox): Pick<Violations, 'demandsLinkedTwice' | 'orderMismatches'> {
  const requirements = sandbox.pms.requirements.listChanges({ limit: 100_000 }).data;
  const seen = new Set<string>();
  const demandsLinkedTwice: string[] = [];
  for (const requirement of requirements) {
    for (const { demandId } of requirement.demands) {
      if (seen.has(demandId)) demandsLinkedTwice.push(`${demandId} (again on ${requirement.id})`);
      seen.add(demandId);
    }
  }

  const expected = new Map<string, number>();
  for (const order of generateCustomers().orders) {
    for (const line of order.lines) {
      const product = sandbox.pms.store.getBySkus([line.sku])[0];
      if (!product) continue;
      const key = `${product.id} ${order.orderedAt.slice(0, 7)}`;
      expected.set(key, (expected.get(key) ?? 0) + line.quantity);
    }
  }
  const actual = new Map(sandbox.pms.demandSignals.list({}).map((signal) => [`${signal.productId} ${signal.period}`, signal.quantity]));
  const orderMismatches = [...new Set([...expected.keys(), ...actual.keys()])]
    .filter((key) => expected.get(key) !== actual.get(key))
    .map((key) => `${key}: ordered ${expected.get(key) ?? 0}, PMS shows ${actual.get(key) ?? 0}`);
  return { demandsLinkedTwice, orderMismatches };
}

export function violationCount(violations: Violations): number {
  return Object.values(violations).reduce((sum, list) => sum + list.length, 0);
}

/** A readable account of what broke, the first few names of each kind. */
export function describeViolations(violations: Violations): string {
  return Object.entries(violations)
    .filter(([, list]) => list.length > 0)
    .map(([rule, list]) => `${rule}: ${list.length} (${list.slice(0, 5).join(', ')}${list.length > 5 ? ', ...' : ''})`)
    .join('; ');
}

import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ProductSink, ProductSource } from '../src/connectors/productConnectors';
import { contentHash } from '../src/domain/contentHash';
import { mapProduct, MappingError, type FieldMapping } from '../src/domain/fieldMapping';
import { validatePmsProduct } from '../src/domain/validation';
import type { RawPmsProduct } from '../src/domain/pmsProduct';
import type { Logger } from '../src/logging/logger';
import { lagSeconds, noSyncMetrics, type SyncMetrics } from '../src/metrics/syncMetrics';
import type {
  ChangeCursor,
  FetchByIdsInput,
  FetchPageInput,
  PagePlan,
  PlannedWrite,
  RetryPlan,
  UpsertInput,
  UpsertOutcome,
  VerifyInput,
  VerifyOutcome,
} from '../workflows/productSyncTypes';
import { chunk } from '../src/chunk';
import { activityLogger, requireIntegration } from './activityContext';
import { withFailureMapping } from './activityFailure';
import { upsertIsolatingRejects, upsertProgressSchema, type UpsertProgress } from './upsertIsolatingRejects';

/** What one integration's activities talk to: connectors and the field mapping, from configuration. */
export interface ProductIntegration {
  source: ProductSource;
  sink: ProductSink;
  mapping: FieldMapping;
}

export interface ProductSyncDeps {
  integration(integrationId: string): ProductIntegration | undefined;
  logger: Logger;
  /** Counters on the worker's metrics endpoint; none when absent. */
  metrics?: SyncMetrics;
}

type Candidate =
  | { kind: 'deleted'; externalId: string; position: PlannedWrite['position'] }
  | {
      kind: 'product';
      externalId: string;
      position: PlannedWrite['position'];
      properties: PlannedWrite['properties'];
      discontinued: boolean;
    };

export function createProductSyncActivities(deps: ProductSyncDeps) {
  const metrics = (integrationId: string) => (deps.metrics ?? noSyncMetrics).forIntegration(integrationId, 'productSync');

  function integrationFor(integrationId: string): ProductIntegration & { ownedFields: string[] } {
    const integration = requireIntegration((id) => deps.integration(id), integrationId, 'product');
    return { ...integration, ownedFields: Object.keys(integration.mapping) };
  }

  async function readCurrent(sink: ProductSink, externalIds: string[]) {
    const current = new Map<string, Awaited<ReturnType<ProductSink['readByExternalIds']>>[number]>();
    for (const ids of chunk(externalIds, sink.capabilities.maxReadBatch)) {
      for (const record of await sink.readByExternalIds(ids)) current.set(record.externalId, record);
      Context.current().heartbeat();
    }
    return current;
  }

  return {
    /** How many products the CRM holds: the base of the change guard. */
    async countCrmProducts(input: { integrationId: string }): Promise<number> {
      const { sink } = integrationFor(input.integrationId);
      return withFailureMapping(() => sink.count());
    },

    /**
     * Fetches one page of changed products, validates and maps each, and diffs them against the
     * CRM, so only real changes travel on through Temporal. Stops early at the byte budget.
     */
    async fetchProductChanges(input: FetchPageInput): Promise<PagePlan> {
      const { source, sink, mapping, ownedFields } = integrationFor(input.integrationId);
      const log = activityLogger(deps.logger, input.integrationId);
      return withFailureMapping(async () => {
        requireArchiving(sink, input.mode);
        if (input.mode === 'mirror' && !source.capabilities.reportsDeletes && input.cursor === null) {
          log.warn({ source: source.system }, 'the source does not report deleted products: mirror mode archives discontinued ones only');
        }
        // A page never asks the source for more than it can hand out in one call.
        const page = await source.listChanged(input.cursor, Math.min(input.limit, source.capabilities.maxPageSize));
        Context.current().heartbeat();

        const { candidates, rejected } = toCandidates(page.records, mapping);
        const current = await readCurrent(
          sink,
          candidates.map((c) => c.externalId),
        );
        const plan = diffPage(candidates, current, input.mode, ownedFields, input.maxBytes);
        // When the byte budget cut the page, it covers only the records up to the cut.
        const covered = plan.cutAt ? page.records.filter((r) => !isAfter(r, plan.cutAt!)) : page.records;
        const last = covered.at(-1);
        const coveredRejects = plan.cutAt
          ? rejected.filter((r) => !isAfter({ updatedAt: r.position.since, id: r.id }, plan.cutAt!))
          : rejected;
        const hasMore = page.hasMore || plan.cutAt !== undefined;
        log.info(
          { fetched: covered.length, writes: plan.writes.length, unchanged: plan.unchanged, rejected: coveredRejects.length },
          'page fetched and diffed',
        );
        const counters = metrics(input.integrationId);
        counters.recordsFetched(covered.length);
        counters.recordsUnchanged(plan.unchanged);
        counters.recordsRejected(coveredRejects.length);
        counters.syncLag(lagSeconds(last?.updatedAt ?? null, !hasMore));
        return {
          fetched: covered.length,
          writes: plan.writes,
          unchanged: plan.unchanged,
          skipped: plan.skipped,
          rejected: coveredRejects,
          nextCursor: last ? { since: last.updatedAt, afterId: last.id } : page.nextCursor,
          hasMore,
          ...(page.remaining !== undefined ? { remaining: page.remaining + page.records.length - covered.length } : {}),
        };
      });
    },

    /**
     * Plans the writes of named products as they are in the PMS now: what an operator's
     * `retryFailed` needs. Ids that no longer need a write (now equal in the CRM, gone from the
     * PMS, or out of scope for the mode) come back as `resolved`.
     */
    async fetchProductsByIds(input: FetchByIdsInput): Promise<RetryPlan> {
      const { source, sink, mapping, ownedFields } = integrationFor(input.integrationId);
      return withFailureMapping(async () => {
        const records = await source.getByIds(input.ids);
        Context.current().heartbeat();
        const { candidates, rejected } = toCandidates(records, mapping);
        const current = await readCurrent(
          sink,
          candidates.map((c) => c.externalId),
        );
        const { writes } = diffPage(candidates, current, input.mode, ownedFields, Number.MAX_SAFE_INTEGER);
        const pending = new Set([...writes.map((w) => w.externalId), ...rejected.map((r) => r.id)]);
        return {
          writes,
          rejected: rejected.map(({ id, reason }) => ({ id, reason })),
          resolved: input.ids.filter((id) => !pending.has(id)),
        };
      });
    },

    /** Batch upsert by external id; a batch refused as a whole is split until the offenders are found. */
    async upsertProducts(input: UpsertInput): Promise<UpsertOutcome> {
      const { sink } = integrationFor(input.integrationId);
      const log = activityLogger(deps.logger, input.integrationId);
      return withFailureMapping(async () => {
        const resume = resumedUpsert(input.records.length);
        if (resume) log.info({ done: resume.done, of: input.records.length }, 'resuming an upsert where the last attempt stopped');
        const outcome = await upsertIsolatingRejects(sink, input.records, (progress) => Context.current().heartbeat(progress), resume);
        log.info({ written: outcome.written.length, failed: outcome.failed.length }, 'products upserted');
        metrics(input.integrationId).recordsWritten(outcome.written.length);
        metrics(input.integrationId).recordsFailed(outcome.failed.length);
        return outcome;
      });
    },

    /** Reads written records back and compares content hashes. */
    async verifyProducts(input: VerifyInput): Promise<VerifyOutcome> {
      const { sink, ownedFields } = integrationFor(input.integrationId);
      return withFailureMapping(async () => {
        const current = await readCurrent(
          sink,
          input.expected.map((e) => e.externalId),
        );
        const outcome: VerifyOutcome = { verified: [], mismatched: [] };
        for (const { externalId, hash } of input.expected) {
          const record = current.get(externalId);
          if (!record) outcome.mismatched.push({ externalId, reason: 'the CRM does not show the record after writing it' });
          else if (contentHash(record.properties, record.archived, ownedFields) !== hash) {
            outcome.mismatched.push({ externalId, reason: 'the CRM shows different content than was written' });
          } else outcome.verified.push(externalId);
        }
        metrics(input.integrationId).recordsMismatched(outcome.mismatched.length);
        return outcome;
      });
    },
  };
}

export type ProductSyncActivities = ReturnType<typeof createProductSyncActivities>;

/** The progress a failed attempt of this upsert heartbeated, when it fits this input. */
function resumedUpsert(records: number): UpsertProgress | undefined {
  const parsed = upsertProgressSchema.safeParse(Context.current().info.heartbeatDetails);
  return parsed.success && parsed.data.done <= records ? parsed.data : undefined;
}

/** Mirror mode archives records; a target that cannot archive must say so before anything is written. */
function requireArchiving(sink: ProductSink, mode: FetchPageInput['mode']): void {
  if (mode !== 'mirror' || sink.capabilities.archives) return;
  throw ApplicationFailure.create({
    type: 'UnsupportedMode',
    message: `${sink.system} cannot archive records, so mirror mode cannot run against it; use mode upsert or update-only for this sync.`,
    nonRetryable: true,
  });
}

/** Validates and maps raw PMS records; what cannot be validated or mapped is rejected with the reason. */
/**
 * A source that repeats a record within a page (a paging bug, seen in the wild) would otherwise
 * have it written, counted and reported twice; the last copy is the newest.
 */
function latestPerId(records: RawPmsProduct[]): RawPmsProduct[] {
  const last = new Map(records.map((raw, index) => [raw.id, index]));
  return records.filter((raw, index) => last.get(raw.id) === index);
}

function toCandidates(records: RawPmsProduct[], mapping: FieldMapping): { candidates: Candidate[]; rejected: PagePlan['rejected'] } {
  const rejected: PagePlan['rejected'] = [];
  const candidates: Candidate[] = [];
  for (const raw of latestPerId(records)) {
    const position = { since: raw.updatedAt, afterId: raw.id };
    if (raw.deleted === true) {
      candidates.push({ kind: 'deleted', externalId: raw.id, position });
      continue;
    }
    const validated = validatePmsProduct(raw);
    if (!validated.ok) {
      rejected.push({ id: raw.id, reason: `invalid PMS record: ${validated.reason}`, position });
      continue;
    }
    try {
      const properties = mapProduct(validated.product, mapping);
      candidates.push({
        kind: 'product',
        externalId: raw.id,
        position,
        properties,
        discontinued: validated.product.lifecycle === 'discontinued',
      });
    } catch (error) {
      if (!(error instanceof MappingError)) throw error;
      rejected.push({ id: raw.id, reason: `cannot map: ${error.message}`, position });
    }
  }
  return { candidates, rejected };
}

/** True when the record comes after the cursor in the source's (updatedAt, id) order. */
function isAfter(record: { updatedAt: string; id: string }, cursor: ChangeCursor): boolean {
  const byTime = Date.parse(record.updatedAt) - Date.parse(cursor.since);
  return byTime > 0 || (byTime === 0 && record.id > cursor.afterId);
}

interface DiffResult {
  writes: PlannedWrite[];
  unchanged: number;
  skipped: number;
  /** Set when the byte budget cut the page: the position of the last record it covers. */
  cutAt?: ChangeCursor;
}

/**
 * Decides, per record, what the CRM needs: create, update, archive, or nothing. In upsert mode a
 * deletion is ignored (skipped); update-only never creates; mirror archives deleted and
 * discontinued products.
 */
export function diffPage(
  candidates: Candidate[],
  current: Map<string, { properties: PlannedWrite['properties']; archived: boolean }>,
  mode: FetchPageInput['mode'],
  ownedFields: string[],
  maxBytes: number,
): DiffResult {
  const result: DiffResult = { writes: [], unchanged: 0, skipped: 0 };
  let bytes = 0;
  let previous: ChangeCursor | undefined;
  for (const candidate of candidates) {
    const existing = current.get(candidate.externalId);
    const write = plannedWrite(candidate, existing, mode, ownedFields);
    if (write === 'skip') result.skipped += 1;
    else if (write === 'unchanged') result.unchanged += 1;
    else {
      const size = Buffer.byteLength(JSON.stringify(write));
      if (bytes + size > maxBytes && previous) {
        result.cutAt = previous;
        return result;
      }
      bytes += size;
      result.writes.push(write);
    }
    previous = candidate.position;
  }
  return result;
}

function plannedWrite(
  candidate: Candidate,
  existing: { properties: PlannedWrite['properties']; archived: boolean } | undefined,
  mode: FetchPageInput['mode'],
  ownedFields: string[],
): PlannedWrite | 'skip' | 'unchanged' {
  const base = { externalId: candidate.externalId, position: candidate.position };
  if (candidate.kind === 'deleted') {
    if (mode !== 'mirror' || !existing) return 'skip';
    if (existing.archived) return 'unchanged';
    return { ...base, properties: {}, archived: true, action: 'archive', hash: contentHash(existing.properties, true, ownedFields) };
  }
  const archived = mode === 'mirror' && candidate.discontinued;
  if (!existing && (mode === 'update-only' || archived)) return 'skip';
  const hash = contentHash(candidate.properties, archived, ownedFields);
  if (existing && contentHash(existing.properties, existing.archived, ownedFields) === hash) return 'unchanged';
  const action = !existing ? 'create' : archived && !existing.archived ? 'archive' : 'update';
  return { ...base, properties: candidate.properties, archived, action, hash };
}

import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import type { ProductIntegration, ProductSink, UpsertResult } from '../src/connectors/productConnectors';
import type { RawPmsProduct } from '../src/domain/pmsProduct';
import { contentHash } from '../src/domain/contentHash';
import { unreadAsStale, withClearedFields } from '../src/domain/mappingClear';
import { mappingVersion } from '../src/domain/mappingVersion';
import { diffPage, toCandidates, type CurrentRecord } from '../src/domain/productPagePlan';
import type { Logger } from '../src/logging/logger';
import { lagSeconds, noSyncMetrics, type SyncMetrics } from '../src/metrics/syncMetrics';
import { isAfterCursor } from '../src/shared/changeCursor';
import { failureTypes } from '../src/shared/failureTypes';
import type {
  FetchByIdsInput,
  FetchPageInput,
  PagePlan,
  ReconcileInput,
  ReconcilePlan,
  RetryPlan,
  RunMapping,
  UpsertInput,
  UpsertOutcome,
  VerifyInput,
  VerifyOutcome,
} from '../src/shared/productSyncActivityTypes';
import { chunk } from '../src/shared/chunk';
import type { MappingInUse } from '../src/shared/mappingChange';
import { activityLogger, requireIntegration } from './activityContext';
import { withFailureMapping, type ActivityHeartbeat } from './activityFailure';
import { upsertIsolatingRejects, upsertProgressSchema, type UpsertProgress } from './upsertIsolatingRejects';

export interface ProductSyncDeps {
  integration(integrationId: string): ProductIntegration | undefined;
  logger: Logger;
  /** Counters on the worker's metrics endpoint; none when absent. */
  metrics?: SyncMetrics;
}

export function createProductSyncActivities(deps: ProductSyncDeps) {
  const metrics = (integrationId: string) => (deps.metrics ?? noSyncMetrics).forIntegration(integrationId, 'productSync');

  function integrationFor(integrationId: string): ProductIntegration & { ownedFields: string[] } {
    const integration = requireIntegration((id) => deps.integration(id), integrationId, 'product');
    return { ...integration, ownedFields: Object.keys(integration.mapping) };
  }

  /**
   * The fields a step compares under the run's mapping: this worker's mapped properties plus those
   * to clear. Refuses when this worker maps with another version than the run plans under.
   */
  function underRunMapping(integration: ProductIntegration & { ownedFields: string[] }, runMapping: RunMapping | undefined) {
    if (!runMapping) return { ownedFields: integration.ownedFields, clearFields: [] };
    const version = mappingVersion(integration.mapping);
    if (version !== runMapping.version) {
      throw ApplicationFailure.create({
        type: failureTypes.mappingVersionMismatch,
        message:
          `This worker maps products with field mapping version ${version}, but the run plans under version ${runMapping.version}: ` +
          'the workers disagree on the mapping (a rolling deploy?). Nothing was read or compared here; another worker takes the retry. ' +
          'If every worker now runs the new mapping, this run fails once its retries are used up and the next run rewrites the catalog under it.',
      });
    }
    const clearFields = runMapping.clearFields.filter((field) => !integration.ownedFields.includes(field));
    return { ownedFields: [...integration.ownedFields, ...clearFields], clearFields };
  }

  /** Validates, maps and diffs records against the CRM under the run's mapping (fields to clear included). */
  async function planWrites(
    integration: ProductIntegration & { ownedFields: string[] },
    records: Parameters<typeof toCandidates>[0],
    { ownedFields, clearFields }: ReturnType<typeof underRunMapping>,
    heartbeat: ActivityHeartbeat,
    { crmEmpty = false }: { crmEmpty?: boolean } = {},
  ) {
    const { sink, mapping } = integration;
    const mapped = toCandidates(records, mapping, sink.capabilities.fieldLimits);
    const candidates = withClearedFields(mapped.candidates, clearFields);
    const read = crmEmpty
      ? new Map<string, CurrentRecord>()
      : await readCurrent(
          sink,
          candidates.map((c) => c.externalId),
          heartbeat,
        );
    return { candidates, rejected: mapped.rejected, current: unreadAsStale(read, candidates, clearFields), ownedFields };
  }

  async function readCurrent(sink: ProductSink, externalIds: string[], heartbeat: ActivityHeartbeat) {
    const current = new Map<string, Awaited<ReturnType<ProductSink['readByExternalIds']>>[number]>();
    for (const ids of chunk(externalIds, sink.capabilities.maxReadBatch)) {
      for (const record of await sink.readByExternalIds(ids)) current.set(record.externalId, record);
      heartbeat.alive();
    }
    return current;
  }

  return {
    /** How many products the CRM holds: the base of the change guard. */
    async countCrmProducts(input: { integrationId: string }): Promise<number> {
      const { sink } = integrationFor(input.integrationId);
      return withFailureMapping(() => sink.count());
    },

    /** The field mapping this worker maps with: what a run records with its watermark and passes to every step. */
    async mappingInUse(input: { integrationId: string }): Promise<MappingInUse> {
      const { mapping, ownedFields } = integrationFor(input.integrationId);
      return Promise.resolve({ version: mappingVersion(mapping), fields: [...ownedFields].sort() });
    },

    /**
     * Fetches one page of changed products, validates and maps each, and diffs them against the
     * CRM, so only real changes travel on through Temporal. Stops early at the byte budget.
     */
    async fetchProductChanges(input: FetchPageInput): Promise<PagePlan> {
      const integration = integrationFor(input.integrationId);
      const { source, sink } = integration;
      const log = activityLogger(deps.logger, input.integrationId);
      return withFailureMapping(async (heartbeat) => {
        requireArchiving(sink, input.mode);
        const fields = underRunMapping(integration, input.mapping);
        if (input.mode === 'mirror' && !source.capabilities.reportsDeletes && input.cursor === null) {
          log.warn(
            { source: source.system },
            'the source does not report deleted products: mirror mode archives them when its reconcile runs (reconcileEvery)',
          );
        }
        // A page never asks the source for more than it can hand out in one call.
        const page = await source.listChanged(input.cursor, Math.min(input.limit, source.capabilities.maxPageSize));
        heartbeat.alive();

        // Into a CRM that started empty, in upsert mode, every record is a create: no read needed.
        const crmEmpty = input.crmStartedEmpty === true && input.mode === 'upsert' && sink.capabilities.countIsCurrent === true;
        const { candidates, rejected, current, ownedFields } = await planWrites(integration, page.records, fields, heartbeat, { crmEmpty });
        const plan = diffPage(candidates, current, input.mode, ownedFields, input.maxBytes);
        // When the byte budget cut the page, it covers only the records up to the cut.
        const covered = plan.cutAt ? page.records.filter((r) => !isAfterCursor(r, plan.cutAt!)) : page.records;
        const last = covered.at(-1);
        const coveredRejects = plan.cutAt
          ? rejected.filter((r) => !isAfterCursor({ updatedAt: r.position.since, id: r.id }, plan.cutAt!))
          : rejected;
        const hasMore = page.hasMore || plan.cutAt !== undefined;
        const inFlight = new Set(input.inFlight ?? []);
        const overlapsInFlight = inFlight.size > 0 && covered.some((record) => inFlight.has(record.id));
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
          ...(overlapsInFlight ? { overlapsInFlight } : {}),
        };
      });
    },

    /**
     * Plans the writes of named products as they are in the PMS now: what an operator's
     * `retryFailed` and the webhook stream need. A product the PMS no longer returns, or whose
     * announced deletion is newer than what it returns, is a deletion (archived in mirror mode,
     * as in the change feed). Ids that need no write (now equal in the CRM, deleted in another
     * mode, or out of scope for the mode) come back as `resolved`.
     */
    async fetchProductsByIds(input: FetchByIdsInput): Promise<RetryPlan> {
      const integration = integrationFor(input.integrationId);
      return withFailureMapping(async (heartbeat) => {
        const fields = underRunMapping(integration, input.mapping);
        const records = goneAsDeleted(input, await integration.source.getByIds(input.ids));
        heartbeat.alive();
        const { candidates, rejected, current, ownedFields } = await planWrites(integration, records, fields, heartbeat);
        const { writes } = diffPage(candidates, current, input.mode, ownedFields, Number.MAX_SAFE_INTEGER);
        const pending = new Set([...writes.map((w) => w.externalId), ...rejected.map((r) => r.id)]);
        return {
          writes,
          rejected: rejected.map(({ id, reason }) => ({ id, reason })),
          resolved: input.ids.filter((id) => !pending.has(id)),
        };
      });
    },

    /**
     * Mirror mode's reconcile: pages through the CRM's live bridge-managed records from
     * `input.after`, asks the PMS for each page's ids, and plans an archive for every record whose
     * product the PMS no longer returns or shows deleted (sources such as HubSpot and Akeneo never
     * announce a deletion). Heartbeats its place after every page, so a retry goes on from there.
     */
    async findVanishedProducts(input: ReconcileInput): Promise<ReconcilePlan> {
      const integration = integrationFor(input.integrationId);
      const { source, sink } = integration;
      const log = activityLogger(deps.logger, input.integrationId);
      if (!sink.listManaged) {
        return {
          writes: [],
          checked: 0,
          after: null,
          done: true,
          unsupported: `${sink.system} cannot list its records, so mirror mode cannot find records whose product the PMS no longer has`,
        };
      }
      const listManaged = sink.listManaged.bind(sink);
      return withFailureMapping(async (heartbeat) => {
        // Archives are verified under the run's mapping: hashed with the same fields here.
        const { ownedFields } = underRunMapping(integration, input.mapping);
        const resumed = reconcileProgressSchema.safeParse(Context.current().info.heartbeatDetails);
        const progress: ReconcileProgress = resumed.success ? resumed.data : { after: input.after, checked: 0, writes: [] };
        if (resumed.success) log.info({ checked: progress.checked }, 'resuming a reconcile where the last attempt stopped');
        for (;;) {
          const page = await listManaged(progress.after, sink.capabilities.maxReadBatch);
          heartbeat.alive();
          const present = new Map((await source.getByIds(page.records.map((r) => r.externalId))).map((p) => [p.id, p]));
          for (const record of page.records) {
            if (record.archived || (present.has(record.externalId) && present.get(record.externalId)?.deleted !== true)) continue;
            progress.writes.push({
              externalId: record.externalId,
              properties: {},
              archived: true,
              action: 'archive',
              hash: contentHash(record.properties, true, ownedFields),
              position: { since: new Date(0).toISOString(), afterId: record.externalId },
            });
          }
          progress.checked += page.records.length;
          progress.after = page.after;
          heartbeat.checkpoint(progress);
          const enough = progress.writes.length >= input.maxWrites || progress.checked >= input.maxChecked;
          if (progress.after === null || enough) break;
        }
        log.info({ checked: progress.checked, vanished: progress.writes.length }, 'CRM records compared with the PMS');
        return { writes: progress.writes, checked: progress.checked, after: progress.after, done: progress.after === null };
      });
    },

    /**
     * Batch upsert by external id; a batch refused as a whole is split until the offenders are found.
     * With `hashes`, each record the CRM's answer shows as stored is checked against its hash.
     */
    async upsertProducts(input: UpsertInput): Promise<UpsertOutcome> {
      const integration = integrationFor(input.integrationId);
      const { sink } = integration;
      const expected = input.hashes ? new Map(input.records.map((record, index) => [record.externalId, input.hashes![index]])) : undefined;
      const log = activityLogger(deps.logger, input.integrationId);
      return withFailureMapping(async (heartbeat) => {
        // The answer is compared under the mapping the hashes were made with (refused on another one, before writing).
        const { ownedFields } = expected ? underRunMapping(integration, input.mapping) : integration;
        const confirm = expected
          ? ({ externalId, stored }: UpsertResult) =>
              stored && expected.has(externalId)
                ? contentHash(stored.properties, stored.archived, ownedFields) === expected.get(externalId)
                : undefined
          : undefined;
        const resume = resumedUpsert(input.records.length);
        if (resume) log.info({ done: resume.done, of: input.records.length }, 'resuming an upsert where the last attempt stopped');
        const outcome = await upsertIsolatingRejects(
          sink,
          input.records,
          (checkpoint) => (checkpoint ? heartbeat.checkpoint(checkpoint) : heartbeat.alive()),
          resume,
          confirm,
        );
        log.info({ written: outcome.written.length, failed: outcome.failed.length }, 'products upserted');
        metrics(input.integrationId).recordsWritten(outcome.written.length);
        metrics(input.integrationId).recordsFailed(outcome.failed.length);
        metrics(input.integrationId).recordsMismatched(outcome.written.filter((w) => w.confirmed === false).length);
        return outcome;
      });
    },

    /** Reads written records back and compares content hashes. */
    async verifyProducts(input: VerifyInput): Promise<VerifyOutcome> {
      const integration = integrationFor(input.integrationId);
      const { sink } = integration;
      return withFailureMapping(async (heartbeat) => {
        const { ownedFields } = underRunMapping(integration, input.mapping);
        const current = await readCurrent(
          sink,
          input.expected.map((e) => e.externalId),
          heartbeat,
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

const reconcileProgressSchema = z.object({
  after: z.string().nullable(),
  checked: z.number().int().min(0),
  writes: z.array(
    z.object({
      externalId: z.string(),
      properties: z.object({}),
      archived: z.literal(true),
      action: z.literal('archive'),
      hash: z.string(),
      position: z.object({ since: z.string(), afterId: z.string() }),
    }),
  ),
});
type ReconcileProgress = z.infer<typeof reconcileProgressSchema>;

/** The progress a failed attempt of this upsert heartbeated, when it fits this input. */
function resumedUpsert(records: number): UpsertProgress | undefined {
  const parsed = upsertProgressSchema.safeParse(Context.current().info.heartbeatDetails);
  return parsed.success && parsed.data.done <= records ? parsed.data : undefined;
}

/**
 * The PMS's answer for named products, with a deletion for each id it no longer returns (HubSpot
 * and Akeneo leave deleted products out) and for each announced deletion it shows no newer version
 * of (a read behind the deletion).
 */
function goneAsDeleted(input: FetchByIdsInput, records: RawPmsProduct[]): RawPmsProduct[] {
  const announced = new Map((input.deletions ?? []).map((deletion) => [deletion.productId, deletion.updatedAt]));
  const returned = new Map(records.map((record) => [record.id, record]));
  return input.ids.flatMap((id): RawPmsProduct[] => {
    const record = returned.get(id);
    const deletedAt = announced.get(id);
    if (record && (deletedAt === undefined || record.deleted === true || record.updatedAt > deletedAt)) return [record];
    // No feed position: the PMS no longer has the product, so the deletion's time is the announced one, or unknown.
    return [{ id, updatedAt: deletedAt ?? record?.updatedAt ?? new Date(0).toISOString(), deleted: true }];
  });
}

/** Mirror mode archives records; a target that cannot archive must say so before anything is written. */
function requireArchiving(sink: ProductSink, mode: FetchPageInput['mode']): void {
  if (mode !== 'mirror' || sink.capabilities.archives) return;
  throw ApplicationFailure.create({
    type: failureTypes.unsupportedMode,
    message: `${sink.system} cannot archive records, so mirror mode cannot run against it; use mode upsert or update-only for this sync.`,
    nonRetryable: true,
  });
}

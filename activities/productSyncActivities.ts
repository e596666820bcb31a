import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import type { ProductIntegration, ProductSink } from '../src/connectors/productConnectors';
import type { RawPmsProduct } from '../src/domain/pmsProduct';
import { contentHash } from '../src/domain/contentHash';
import { diffPage, toCandidates } from '../src/domain/productPagePlan';
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
  UpsertInput,
  UpsertOutcome,
  VerifyInput,
  VerifyOutcome,
} from '../src/shared/productSyncActivityTypes';
import { chunk } from '../src/shared/chunk';
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

    /**
     * Fetches one page of changed products, validates and maps each, and diffs them against the
     * CRM, so only real changes travel on through Temporal. Stops early at the byte budget.
     */
    async fetchProductChanges(input: FetchPageInput): Promise<PagePlan> {
      const { source, sink, mapping, ownedFields } = integrationFor(input.integrationId);
      const log = activityLogger(deps.logger, input.integrationId);
      return withFailureMapping(async (heartbeat) => {
        requireArchiving(sink, input.mode);
        if (input.mode === 'mirror' && !source.capabilities.reportsDeletes && input.cursor === null) {
          log.warn(
            { source: source.system },
            'the source does not report deleted products: mirror mode archives them when its reconcile runs (reconcileEvery)',
          );
        }
        // A page never asks the source for more than it can hand out in one call.
        const page = await source.listChanged(input.cursor, Math.min(input.limit, source.capabilities.maxPageSize));
        heartbeat.alive();

        const { candidates, rejected } = toCandidates(page.records, mapping, sink.capabilities.fieldLimits);
        const current = await readCurrent(
          sink,
          candidates.map((c) => c.externalId),
          heartbeat,
        );
        const plan = diffPage(candidates, current, input.mode, ownedFields, input.maxBytes);
        // When the byte budget cut the page, it covers only the records up to the cut.
        const covered = plan.cutAt ? page.records.filter((r) => !isAfterCursor(r, plan.cutAt!)) : page.records;
        const last = covered.at(-1);
        const coveredRejects = plan.cutAt
          ? rejected.filter((r) => !isAfterCursor({ updatedAt: r.position.since, id: r.id }, plan.cutAt!))
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
     * `retryFailed` and the webhook stream need. A product the PMS no longer returns, or whose
     * announced deletion is newer than what it returns, is a deletion (archived in mirror mode,
     * as in the change feed). Ids that need no write (now equal in the CRM, deleted in another
     * mode, or out of scope for the mode) come back as `resolved`.
     */
    async fetchProductsByIds(input: FetchByIdsInput): Promise<RetryPlan> {
      const { source, sink, mapping, ownedFields } = integrationFor(input.integrationId);
      return withFailureMapping(async (heartbeat) => {
        const records = goneAsDeleted(input, await source.getByIds(input.ids));
        heartbeat.alive();
        const { candidates, rejected } = toCandidates(records, mapping, sink.capabilities.fieldLimits);
        const current = await readCurrent(
          sink,
          candidates.map((c) => c.externalId),
          heartbeat,
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

    /**
     * Mirror mode's reconcile: pages through the CRM's live bridge-managed records from
     * `input.after`, asks the PMS for each page's ids, and plans an archive for every record whose
     * product the PMS no longer returns or shows deleted (sources such as HubSpot and Akeneo never
     * announce a deletion). Heartbeats its place after every page, so a retry goes on from there.
     */
    async findVanishedProducts(input: ReconcileInput): Promise<ReconcilePlan> {
      const { source, sink, ownedFields } = integrationFor(input.integrationId);
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

    /** Batch upsert by external id; a batch refused as a whole is split until the offenders are found. */
    async upsertProducts(input: UpsertInput): Promise<UpsertOutcome> {
      const { sink } = integrationFor(input.integrationId);
      const log = activityLogger(deps.logger, input.integrationId);
      return withFailureMapping(async (heartbeat) => {
        const resume = resumedUpsert(input.records.length);
        if (resume) log.info({ done: resume.done, of: input.records.length }, 'resuming an upsert where the last attempt stopped');
        const outcome = await upsertIsolatingRejects(
          sink,
          input.records,
          (checkpoint) => (checkpoint ? heartbeat.checkpoint(checkpoint) : heartbeat.alive()),
          resume,
        );
        log.info({ written: outcome.written.length, failed: outcome.failed.length }, 'products upserted');
        metrics(input.integrationId).recordsWritten(outcome.written.length);
        metrics(input.integrationId).recordsFailed(outcome.failed.length);
        return outcome;
      });
    },

    /** Reads written records back and compares content hashes. */
    async verifyProducts(input: VerifyInput): Promise<VerifyOutcome> {
      const { sink, ownedFields } = integrationFor(input.integrationId);
      return withFailureMapping(async (heartbeat) => {
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

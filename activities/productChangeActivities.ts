import { Context } from '@temporalio/activity';
import type { FetchByIdsInput } from '../workflows/productChangeStreamTypes';
import type { PagePlan } from '../workflows/productSyncTypes';
import { activityLogger, chunk, requireIntegration } from './activityContext';
import { withFailureMapping } from './activityFailure';
import { candidatesFrom, diffPage, readCurrent, type ProductSyncDeps } from './productSyncActivities';

/** What fetching announced products found: the page plan, and the ids left for a later batch. */
export interface IdsPlan extends Omit<PagePlan, 'nextCursor' | 'hasMore'> {
  /** Products the byte budget left out; the workflow puts them back in its queue. */
  deferred: string[];
}

/**
 * Activities of the event-driven path: the webhook announces product ids, these read the products'
 * current state from the PMS and plan the writes exactly as the change-feed sync does (validate,
 * map, diff against the CRM). The writes then go through productSync's upsert and verify.
 */
export function createProductChangeActivities(deps: ProductSyncDeps) {
  return {
    /**
     * Reads the current state of the announced products, so a late or repeated announcement can
     * only ever write the newest version, and diffs it against the CRM.
     */
    async fetchProductsByIds(input: FetchByIdsInput): Promise<IdsPlan> {
      const integration = requireIntegration((id) => deps.integration(id), input.integrationId, 'product');
      const { source, sink, mapping } = integration;
      const log = activityLogger(deps.logger, input.integrationId);
      return withFailureMapping(async () => {
        const records = [];
        for (const ids of chunk(input.ids, source.maxGetBatch)) {
          records.push(...(await source.getByIds(ids)));
          Context.current().heartbeat();
        }
        const { candidates, rejected } = candidatesFrom(records, mapping);
        const current = await readCurrent(sink, candidates.map((c) => c.externalId));
        const plan = diffPage(candidates, current, input.mode, Object.keys(mapping), input.maxBytes);
        const planned = new Set([...plan.writes.map((w) => w.externalId)]);
        const cutIndex = plan.cutAt ? candidates.findIndex((c) => c.externalId === plan.cutAt!.afterId) + 1 : candidates.length;
        const deferred = candidates.slice(cutIndex).map((c) => c.externalId).filter((id) => !planned.has(id));
        log.info({ announced: input.ids.length, found: records.length, writes: plan.writes.length, deferred: deferred.length }, 'announced products fetched and diffed');
        return {
          fetched: records.length - deferred.length,
          writes: plan.writes,
          unchanged: plan.unchanged,
          skipped: plan.skipped,
          rejected,
          deferred,
        };
      });
    },
  };
}

export type ProductChangeActivities = ReturnType<typeof createProductChangeActivities>;

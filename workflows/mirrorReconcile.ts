import { CancellationScope, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { ProductSyncActivities } from '../activities/productSyncActivities';
import type { OperatorControls } from './operatorControls';
import { writeAndVerify, type WriteAndVerifyStep } from './writeAndVerify';
import type { PlannedWrite } from '../src/shared/productSyncActivityTypes';
import { pushCapped } from '../src/shared/recordIssues';
import type { ReconcileFacts } from '../src/shared/productSyncContract';

/** Whether a reconcile is due: never ran, or ran at least `everyMs` before now. */
export function reconcileDue(everyMs: number, lastAt: string | null, now: string): boolean {
  return lastAt === null || Date.parse(now) - Date.parse(lastAt) >= everyMs;
}

/** CRM records one reconcile call compares before it answers (it heartbeats its place meanwhile). */
const maxCheckedPerCall = 10_000;

export interface ReconcileRun {
  integrationId: string;
  dryRun: boolean;
  /** Most archives written (and verified) together, the productSync page size. */
  pageSize: number;
  crmTotal: number;
  activities: Pick<ActivityInterfaceFor<ProductSyncActivities>, 'findVanishedProducts'>;
  controls: Pick<OperatorControls, 'untilAvailable' | 'admitChanges'>;
  write: WriteAndVerifyStep;
  /** How productSync counts an archive that landed, and what a dry run plans. */
  verified(write: PlannedWrite): void;
  planned(writes: PlannedWrite[]): void;
}

/**
 * Mirror mode's reconcile: the CRM's live bridge-managed records are compared with the ids the
 * PMS still has, and those whose product is gone are archived, under the change guard, written
 * and verified like any page. Sources that never announce a deletion (HubSpot, Akeneo) and those
 * that forget it (Salesforce after 15 days) are mirrored this way. An archive the CRM refuses is
 * listed in the facts and found again by the next reconcile.
 */
export async function reconcileMirror(run: ReconcileRun, now: string): Promise<ReconcileFacts> {
  const facts: ReconcileFacts = { lastAt: now, checked: 0, archived: 0, failed: [] };
  let after: string | null = null;
  for (let part = 1; ; part++) {
    const stretch = await run.controls.untilAvailable('Comparing the CRM with the PMS (mirror reconcile)', () =>
      run.activities.findVanishedProducts.executeWithOptions({ summary: `reconcile ${part}: compare CRM records with the PMS` }, [
        {
          integrationId: run.integrationId,
          after,
          maxWrites: run.pageSize,
          maxChecked: maxCheckedPerCall,
          ...(run.write.mapping ? { mapping: run.write.mapping } : {}),
        },
      ]),
    );
    if (stretch.unsupported) return { ...facts, lastAt: null, unsupported: stretch.unsupported };
    facts.checked += stretch.checked;
    if (run.dryRun) run.planned(stretch.writes);
    else if (stretch.writes.length > 0) {
      await run.controls.admitChanges({ crmTotal: run.crmTotal, changes: stretch.writes.length, step: `reconcile ${part}` });
      // The archives in flight finish even when the run is cancelled.
      await CancellationScope.nonCancellable(() =>
        writeAndVerify(stretch.writes, run.write, {
          verified: (write) => {
            facts.archived += 1;
            run.verified(write);
          },
          failed: (write, reason) => pushCapped(facts.failed, { id: write.externalId, reason }),
        }),
      );
    }
    if (stretch.done) return facts;
    after = stretch.after;
  }
}

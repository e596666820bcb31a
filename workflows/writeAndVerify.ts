import { patched, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { ProductSyncActivities } from '../activities/productSyncActivities';
import type { PlannedWrite, RunMapping } from '../src/shared/productSyncActivityTypes';

export interface WriteAndVerifyStep {
  integrationId: string;
  /** Write and read back a mismatched record this many times before reporting it failed. */
  verifyAttempts: number;
  /** The mapping the writes were planned under: the read-back hashes with the same one. */
  mapping?: RunMapping;
  activities: Pick<ActivityInterfaceFor<ProductSyncActivities>, 'upsertProducts' | 'verifyProducts'>;
  /**
   * Runs each attempt's write and read-back; productSync passes its operator controls' untilAvailable,
   * so a CRM that stays down stops the run for an operator and the attempt goes again on resume.
   */
  call?: <T>(what: string, step: () => Promise<T>) => Promise<T>;
  /** What the Temporal UI shows beside each activity. */
  summaries?: { write(records: number, attempt: number): string; verify(records: number): string };
}

/** patched() id: the write's own answer verifies what it confirms; only the rest is read back. */
const verifyFromWriteAnswerPatch = 'verify-from-write-answer';

export interface WriteOutcomes {
  verified(write: PlannedWrite): void;
  failed(write: PlannedWrite, reason: string): void;
}

/**
 * Upserts writes and verifies them: from the write's own answer where the CRM returns what it
 * stored, by reading back the rest; a record that shows different content is written again, up to
 * verifyAttempts times. Every write ends either verified or failed (with the CRM's reason).
 * Returns how many failed. Upsert and verify are idempotent, so an attempt may safely run again.
 */
export async function writeAndVerify(writes: PlannedWrite[], step: WriteAndVerifyStep, outcomes: WriteOutcomes): Promise<number> {
  const call = step.call ?? ((_what, run) => run());
  // Runs started before this change read every write back; newer ones verify from the write's answer.
  const fromAnswer = patched(verifyFromWriteAnswerPatch);
  let failed = 0;
  let pending = writes;
  let mismatchReasons = new Map<string, string>();
  for (let attempt = 1; pending.length > 0 && attempt <= step.verifyAttempts; attempt++) {
    const byId = new Map(pending.map((write) => [write.externalId, write]));
    const records = pending.map(({ externalId, properties, archived }) => ({ externalId, properties, archived }));
    const { upserted, verified } = await call('Writing products to the CRM', async () => {
      const upserted = await step.activities.upsertProducts.executeWithOptions(
        step.summaries ? { summary: step.summaries.write(records.length, attempt) } : {},
        [
          {
            integrationId: step.integrationId,
            records,
            ...(fromAnswer ? { hashes: pending.map((write) => write.hash), ...(step.mapping ? { mapping: step.mapping } : {}) } : {}),
          },
        ],
      );
      const refused = new Set(upserted.failed.map((f) => f.externalId));
      // What the write's answer confirmed (or showed different) needs no read-back.
      const answered = new Set(upserted.written.filter((w) => w.confirmed !== undefined).map((w) => w.externalId));
      const expected = pending
        .filter((w) => !refused.has(w.externalId) && !answered.has(w.externalId))
        .map(({ externalId, hash }) => ({ externalId, hash }));
      const verified =
        fromAnswer && expected.length === 0
          ? { verified: [], mismatched: [] }
          : await step.activities.verifyProducts.executeWithOptions(
              step.summaries ? { summary: step.summaries.verify(expected.length) } : {},
              [{ integrationId: step.integrationId, expected, ...(step.mapping ? { mapping: step.mapping } : {}) }],
            );
      return { upserted, verified };
    });
    for (const refusal of upserted.failed) {
      outcomes.failed(byId.get(refusal.externalId)!, refusal.reason);
      failed += 1;
    }
    const answeredDifferent = upserted.written.filter((w) => w.confirmed === false).map((w) => w.externalId);
    for (const written of upserted.written) if (written.confirmed === true) outcomes.verified(byId.get(written.externalId)!);
    for (const id of verified.verified) outcomes.verified(byId.get(id)!);
    mismatchReasons = new Map([
      ...answeredDifferent.map((id): [string, string] => [id, 'the CRM answered the write with different content than was written']),
      ...verified.mismatched.map((m): [string, string] => [m.externalId, m.reason]),
    ]);
    pending = [...mismatchReasons.keys()].map((id) => byId.get(id)!);
  }
  for (const write of pending) outcomes.failed(write, mismatchReasons.get(write.externalId) ?? 'not verified');
  return failed + pending.length;
}

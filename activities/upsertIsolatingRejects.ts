import { z } from 'zod';
import { BatchRejectedError } from '../src/shared/systemErrors';
import type { CrmProductInput, ProductSink, UpsertResult } from '../src/connectors/productConnectors';
import { sentStrings, withoutSentValues } from '../src/connectors/refusalReason';
import type { UpsertOutcome } from '../src/shared/productSyncActivityTypes';

/**
 * How far an upsert got: the records of the first `done` were written (or refused). Sent with
 * every heartbeat, so a retried attempt picks up where the failed one stopped instead of starting
 * the page over: under a CRM that fails often, every attempt then makes progress.
 */
export const upsertProgressSchema = z.object({
  done: z.number().int().min(0),
  outcome: z.object({
    written: z.array(z.object({ externalId: z.string(), created: z.boolean(), confirmed: z.boolean().optional() })),
    failed: z.array(z.object({ externalId: z.string(), reason: z.string() })),
  }),
});
export type UpsertProgress = z.infer<typeof upsertProgressSchema>;

/**
 * Checks a written record against the CRM's own answer: true when the answer shows what was
 * written, false when it shows something else, undefined when the answer does not say.
 */
export type ConfirmWrite = (result: UpsertResult) => boolean | undefined;

/**
 * Writes records in batches of the sink's size (`writesInFlight` of them at a time). Real CRMs refuse a whole batch for one invalid
 * row; such a batch is split in halves until the offending records stand alone, so the rest land
 * and each offender fails with the CRM's own reason. Every write is an upsert by external id, so a
 * retried activity never duplicates anything.
 */
export async function upsertIsolatingRejects(
  sink: ProductSink,
  records: CrmProductInput[],
  /** Called with the progress after each finished batch (a checkpoint), and without while a batch is in flight. */
  heartbeat: (checkpoint?: UpsertProgress) => void,
  resume?: UpsertProgress,
  /** When given, each written record is marked `confirmed` from the CRM's answer where it says. */
  confirm?: ConfirmWrite,
): Promise<UpsertOutcome> {
  const outcome: UpsertOutcome = resume ? structuredClone(resume.outcome) : { written: [], failed: [] };
  const size = sink.capabilities.maxWriteBatch;
  // Heartbeats inside a batch (while it is split, or a bulk job runs) repeat the last finished
  // batch, never a half-written one: a resumed attempt writes that batch again from its start.
  const alive = (): void => heartbeat();
  // Up to writesInFlight batches go together. A checkpoint covers the finished prefix only (a batch
  // done while an earlier one is in flight waits for it), so a resumed attempt starts after the
  // last batch of which everything before it was written.
  const group = size * Math.max(1, sink.capabilities.writesInFlight ?? 1);
  for (let i = resume?.done ?? 0; i < records.length; i += group) {
    const batches: Array<{ outcome: UpsertOutcome; finished: boolean }> = [];
    for (let j = i; j < Math.min(i + group, records.length); j += size)
      batches.push({ outcome: { written: [], failed: [] }, finished: false });
    let prefix = 0;
    // Every batch of the group is waited for, so a failure never leaves a write running unseen.
    const settled = await Promise.allSettled(
      batches.map(async (batch, index) => {
        await writeOrSplit(sink, records.slice(i + index * size, i + (index + 1) * size), batch.outcome, alive, confirm);
        batch.finished = true;
        for (; prefix < batches.length && batches[prefix]!.finished; prefix++) {
          outcome.written.push(...batches[prefix]!.outcome.written);
          outcome.failed.push(...batches[prefix]!.outcome.failed);
          heartbeat({
            done: Math.min(i + (prefix + 1) * size, records.length),
            outcome: structuredClone(outcome),
          } satisfies UpsertProgress);
        }
      }),
    );
    const failure = settled.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
  }
  return outcome;
}

/** The CRM's reason for refusing a record, without any value the record carried (vendors echo them). */
function refusal(sink: ProductSink, records: CrmProductInput[], message: string): string {
  return `${sink.system} refused the record: ${withoutSentValues(message, sentStrings(records.map((record) => record.properties)))}`;
}

async function writeOrSplit(
  sink: ProductSink,
  batch: CrmProductInput[],
  outcome: UpsertOutcome,
  heartbeat: () => void,
  confirm?: ConfirmWrite,
): Promise<void> {
  try {
    const results = await sink.upsertBatch(batch, heartbeat);
    for (const result of results) {
      const { externalId, created, error } = result;
      if (error === undefined) {
        const confirmed = confirm?.(result);
        outcome.written.push({ externalId, created, ...(confirmed === undefined ? {} : { confirmed }) });
      } else
        outcome.failed.push({
          externalId,
          reason: refusal(
            sink,
            batch.filter((record) => record.externalId === externalId),
            error,
          ),
        });
    }
  } catch (error) {
    if (!(error instanceof BatchRejectedError)) throw error;
    if (batch.length === 1) {
      outcome.failed.push({ externalId: batch[0]!.externalId, reason: refusal(sink, batch, error.message) });
    } else {
      const middle = Math.ceil(batch.length / 2);
      await writeOrSplit(sink, batch.slice(0, middle), outcome, heartbeat, confirm);
      await writeOrSplit(sink, batch.slice(middle), outcome, heartbeat, confirm);
    }
  }
  heartbeat();
}

import { z } from 'zod';

/**
 * What productSync remembers of the field mapping its watermark was reached under, and how a run
 * decides that a changed mapping must be applied to what already synced.
 */

/** The mapping a worker maps with: its version (a hash of the mapping) and the CRM properties it names. */
export interface MappingInUse {
  version: string;
  fields: string[];
}

/** Carried in productSync's summary (the next scheduled run's lastResult) and across continue-as-new. */
export const mappingRecordSchema = z.object({
  version: z.string(),
  fields: z.array(z.string()),
  /**
   * Properties that left the mapping and are still to be cleared in the CRM: set while a rewrite
   * runs, and kept after it while records it failed to write are still to be retried.
   */
  clearFields: z.array(z.string()).default([]),
  /** A rewrite under this version started and has not read the whole catalog yet: the next run starts it again. */
  rewritePending: z.boolean().default(false),
});
export type MappingRecord = z.infer<typeof mappingRecordSchema>;

/** A mapping change a run applies: a full pass that rewrites what the new mapping maps differently. */
export interface MappingRewrite {
  /** The version the watermark was reached under. */
  from: string;
  to: string;
  addedFields: string[];
  /** Properties no longer mapped: cleared in the CRM (set to null, which each connector writes as its system's "empty"). */
  removedFields: string[];
}

const without = (list: readonly string[], drop: readonly string[]) => list.filter((item) => !drop.includes(item));

/**
 * The mapping a run works under, given what the previous run recorded: the same version goes on
 * from the watermark; a different one (or a rewrite that did not finish) is a rewrite. With no
 * record (the first run, or one after an upgrade from a bridge that kept none) there is nothing to
 * compare with: the run records the version and goes on from the watermark.
 */
export function planMapping(
  previous: MappingRecord | undefined,
  current: MappingInUse,
): { record: MappingRecord; rewrite?: MappingRewrite } {
  const fields = [...current.fields].sort();
  if (!previous) return { record: { version: current.version, fields, clearFields: [], rewritePending: false } };
  if (previous.version === current.version && !previous.rewritePending) {
    return { record: { ...previous, fields } };
  }
  const removedFields = [...new Set([...previous.clearFields, ...without(previous.fields, fields)])]
    .filter((f) => !fields.includes(f))
    .sort();
  return {
    record: { version: current.version, fields, clearFields: removedFields, rewritePending: true },
    rewrite: { from: previous.version, to: current.version, addedFields: without(fields, previous.fields), removedFields },
  };
}

/**
 * The record the run's summary hands to the next run. A dry run changes nothing; a run that read
 * the whole catalog finished its rewrite; one cancelled before that leaves it pending. Fields to
 * clear stay only while records the run failed to write are still to be retried.
 */
export function mappingAfterRun(
  previous: MappingRecord | undefined,
  record: MappingRecord,
  run: { dryRun: boolean; cancelled: boolean; failed: number },
): MappingRecord | undefined {
  if (run.dryRun) return previous;
  if (run.cancelled) return record;
  return { ...record, rewritePending: false, clearFields: run.failed > 0 ? record.clearFields : [] };
}

/**
 * "mapping changed (a -> b): up to 1200 records to rewrite (added: ean; removed, cleared in the CRM: stock); 310 rewritten, 4 created":
 * for progress, logs and the summary. Created records are ones the old mapping rejected (or new ones).
 */
export function describeRewrite(
  rewrite: MappingRewrite,
  crmRecords: number | undefined,
  done?: { rewritten: number; created: number },
): string {
  const detail = [
    rewrite.addedFields.length ? `added: ${rewrite.addedFields.join(', ')}` : '',
    rewrite.removedFields.length ? `removed, cleared in the CRM: ${rewrite.removedFields.join(', ')}` : '',
  ].filter(Boolean);
  const scope = crmRecords === undefined ? 'every record to re-read' : `up to ${crmRecords} records to rewrite`;
  const progress = done === undefined ? '' : `; ${done.rewritten} rewritten${done.created ? `, ${done.created} created` : ''}`;
  return `mapping changed (${rewrite.from} -> ${rewrite.to}): ${scope}${detail.length ? ` (${detail.join('; ')})` : ''}${progress}`;
}

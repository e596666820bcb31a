import type { ChangeCursor } from './changeCursor';
import type { RecordIssue } from './recordIssues';

/** A record an operator chose to stop retrying, with why: kept from run to run for audit. */
export interface SkippedRecord {
  id: string;
  reason: string;
  /** The failure it had when skipped. */
  failure: string;
  skippedAt: string;
  /**
   * The version skipped, for a record that failed in the run before (its place in the feed): the
   * next run reads it again and leaves that version alone; a later change to it syncs as usual.
   */
  position?: ChangeCursor;
}

/** What the `failures` query answers: every record that needs or needed a person. */
export interface FailuresReport {
  integrationId: string;
  /** Failed in this run; retried by the next scheduled runs until parked. */
  failed: RecordIssue[];
  /** Failed too many runs in a row; waiting for `retryFailed` or `skipFailed`. */
  parked: RecordIssue[];
  skipped: SkippedRecord[];
  /** Invalid in the source; fixed there, they sync on their next change. */
  rejected: RecordIssue[];
  /** Totals; the lists above are capped. */
  counts: { failed: number; parked: number; skipped: number; rejected: number };
}

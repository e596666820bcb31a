import type { ChangeCursor } from './changeCursor';
import type { PositionedIssue, RecordIssue } from './recordIssues';
import type { SyncMode } from './syncModes';

/** Inputs and outputs of the product activities (productSync and productChangeStream). */

/**
 * The field mapping a run plans, writes and verifies under. Every activity that maps or hashes
 * takes it; a worker whose mapping has another version (a rolling deploy) refuses the task, so
 * another worker takes the retry, instead of hashing other fields and reporting false mismatches.
 */
export interface RunMapping {
  version: string;
  /** CRM properties that left the mapping: written as cleared, and compared as owned fields. */
  clearFields: string[];
}

export interface FetchPageInput {
  integrationId: string;
  mode: SyncMode;
  cursor: ChangeCursor | null;
  limit: number;
  maxBytes: number;
  /** Absent in runs started before mapping versions: the worker's mapping, unchecked. */
  mapping?: RunMapping;
}

export interface PlannedWrite {
  externalId: string;
  properties: Record<string, string | number | boolean | null>;
  archived: boolean;
  action: 'create' | 'update' | 'archive';
  /** Content hash the CRM must show after the write. */
  hash: string;
  /** The record's place in the change feed, for the watermark. */
  position: ChangeCursor;
}

export interface PagePlan {
  fetched: number;
  writes: PlannedWrite[];
  unchanged: number;
  skipped: number;
  rejected: PositionedIssue[];
  /** Cursor after the last record this page covered (may stop early on the byte budget). */
  nextCursor: ChangeCursor | null;
  hasMore: boolean;
  /** Records after this page, when the source says: the base of the time-left estimate. */
  remaining?: number;
}

export interface FetchByIdsInput {
  integrationId: string;
  mode: SyncMode;
  ids: string[];
  mapping?: RunMapping;
}

/** What retrying named records needs: their writes now, and which need nothing any more. */
export interface RetryPlan {
  writes: PlannedWrite[];
  rejected: RecordIssue[];
  resolved: string[];
}

export interface UpsertInput {
  integrationId: string;
  records: Array<Pick<PlannedWrite, 'externalId' | 'properties' | 'archived'>>;
}

export interface UpsertOutcome {
  written: Array<{ externalId: string; created: boolean }>;
  failed: Array<{ externalId: string; reason: string }>;
}

export interface VerifyInput {
  integrationId: string;
  expected: Array<{ externalId: string; hash: string }>;
  mapping?: RunMapping;
}

export interface VerifyOutcome {
  verified: string[];
  mismatched: Array<{ externalId: string; reason: string }>;
}

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
  /**
   * The CRM held no products when this chain of runs started (a first sync in upsert mode): every
   * record the CRM holds now was written by this chain, so there is nothing to diff against and the
   * page is planned as creates without reading the CRM. Upserts by external id keep it idempotent.
   */
  crmStartedEmpty?: boolean;
  /**
   * Records of the page still being written while this one is read ahead: when this page holds
   * one of them, its diff may be stale, and the answer says so (`overlapsInFlight`).
   */
  inFlight?: string[];
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
  /** The page holds a record of `inFlight`: read it again once those writes are done. */
  overlapsInFlight?: boolean;
}

export interface FetchByIdsInput {
  integrationId: string;
  mode: SyncMode;
  ids: string[];
  mapping?: RunMapping;
  /**
   * Deletions the PMS announced (a webhook with deleted: true), at the version it announced: a
   * read that still shows the product at that version or older is stale, and the product is
   * treated as deleted. Ids the PMS no longer returns are deleted in any case.
   */
  deletions?: Array<{ productId: string; updatedAt: string }>;
}

/**
 * What writing named records needs: their writes now (in mirror mode an archive for a product the
 * PMS deleted or no longer returns), and which need nothing any more.
 */
export interface RetryPlan {
  writes: PlannedWrite[];
  rejected: RecordIssue[];
  resolved: string[];
}

export interface UpsertInput {
  integrationId: string;
  records: Array<Pick<PlannedWrite, 'externalId' | 'properties' | 'archived'>>;
  /**
   * The content hash each record (same order) must show: a record the CRM's answer shows with this
   * hash comes back `confirmed`, so it needs no read-back.
   */
  hashes?: string[];
  /** The run's mapping, which `hashes` were computed under (absent: the worker's, unchecked). */
  mapping?: RunMapping;
}

export interface UpsertOutcome {
  /** `confirmed`: the CRM's answer showed the written content (true) or other content (false); absent when it did not say. */
  written: Array<{ externalId: string; created: boolean; confirmed?: boolean }>;
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

export interface ReconcileInput {
  integrationId: string;
  /** Where the previous call stopped in the CRM's listing; null: from the start. */
  after: string | null;
  /** Return once this many archives are planned (at a page boundary), so a page of writes stays bounded. */
  maxWrites: number;
  /** Return once this many CRM records are compared, so one call stays well inside its timeout. */
  maxChecked: number;
  /** The run's mapping, which the archives' hashes are made under (absent: the worker's, unchecked). */
  mapping?: RunMapping;
}

/** One stretch of mirror mode's reconcile: CRM records compared with the PMS, and the archives it needs. */
export interface ReconcilePlan {
  /** Archives of CRM records whose product the PMS no longer has (or has deleted). */
  writes: PlannedWrite[];
  /** CRM records compared in this stretch. */
  checked: number;
  after: string | null;
  done: boolean;
  /** Set when the target cannot list its records, so nothing could be compared. */
  unsupported?: string;
}

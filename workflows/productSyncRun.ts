import { type RecordIssue, capReason, maxListedIssues, maxParkedRecords, pushCapped, upsertIssue } from '../src/shared/recordIssues';
import { type ChangeCursor, compareCursors } from '../src/shared/changeCursor';
import type { PagePlan, PlannedWrite, RunMapping } from '../src/shared/productSyncActivityTypes';
import {
  describeRewrite,
  mappingAfterRun,
  mappingRecordSchema,
  planMapping,
  type MappingInUse,
  type MappingRecord,
} from '../src/shared/mappingChange';
import type { ProductSyncContinuation, ProductSyncSettings, ProductSyncSummary, SyncCounters } from '../src/shared/productSyncContract';
import { previousSummary } from './lastResult';
import { runTiming } from '../src/shared/runFacts';
import { feedWatermark, noteFailure, startFeed } from './feedState';
import type { FailuresReport } from '../src/shared/failuresReport';
import { requestTargets, type MemoRequest, type RetryFailedRequest, type SkipFailedRequest } from '../src/shared/operatorRequests';
import type { SyncProgress, SyncState } from '../src/shared/syncProgress';

/** The mapping record of the previous run's summary, when it has one this code can read. */
function recordedMapping(mapping: unknown): { mappingBefore?: MappingRecord } {
  const parsed = mappingRecordSchema.safeParse(mapping);
  return parsed.success ? { mappingBefore: parsed.data } : {};
}

function emptyCounters(): SyncCounters {
  return { fetched: 0, created: 0, updated: 0, archived: 0, unchanged: 0, skipped: 0, rejected: 0, failed: 0, parked: 0 };
}

/**
 * The bookkeeping of one logical productSync run (across continue-as-new): counters, the lists of
 * rejected and failed records, and the watermark rule. Pure and deterministic, so the workflow
 * file reads as the business steps only.
 */
export class ProductSyncRun {
  /** Pages done by earlier runs of this chain, to count this run's own pages. */
  private readonly pagesBeforeThisRun: number;
  private constructor(
    private readonly settings: ProductSyncSettings,
    private readonly state: ProductSyncContinuation,
    /** What the previous run left failed: this run reads those records again, and memo requests may name them. */
    private failedBefore: RecordIssue[] = [],
  ) {
    this.pagesBeforeThisRun = state.pages;
  }

  /** Starts fresh, from an explicit watermark or the previous scheduled run's result, or continues. */
  static begin(settings: ProductSyncSettings, lastResult: unknown, now: string): ProductSyncRun {
    if (settings.continuation) return new ProductSyncRun(settings, settings.continuation);
    const previous = previousSummary<ProductSyncSummary>(lastResult, 'counts');
    const startWatermark = settings.watermark !== undefined ? settings.watermark : (previous?.watermark ?? null);
    const priorFailures: Record<string, number> = {};
    for (const failure of previous?.failed ?? []) priorFailures[failure.id] = failure.attempts ?? 1;
    return new ProductSyncRun(
      settings,
      {
        ...startFeed(startWatermark, settings.overlapMs),
        counters: emptyCounters(),
        rejected: [],
        failed: [],
        parked: previous?.parked ?? [],
        skippedFailures: previous?.skippedFailures ?? [],
        retryRequested: null,
        handledRequestId: previous?.handledRequestId,
        remaining: null,
        priorFailures,
        plan: { create: [], update: [], archive: [] },
        crmTotal: -1,
        pages: 0,
        continuedAsNew: 0,
        startedAt: now,
        ...recordedMapping(previous?.mapping),
      },
      previous?.failed ?? [],
    );
  }

  /** Whether the run still has to read the mapping it works under (a fresh run; not one continued as new). */
  get needsMapping(): boolean {
    return this.state.mapping === undefined;
  }

  /**
   * Takes the mapping the workers map with. When it differs from the one the watermark was reached
   * under, the run becomes a rewrite: a full pass from the start of the feed (the watermark stays
   * for a dry run), records parked or failed under the old mapping tried afresh, and the fields
   * that left the mapping cleared. Answers the sentence to log when it is a rewrite.
   */
  adoptMapping(current: MappingInUse): string | undefined {
    const { record, rewrite } = planMapping(this.state.mappingBefore, current);
    this.state.mapping = record;
    if (!rewrite) return undefined;
    this.state.rewrite = { ...rewrite, approved: false };
    this.state.cursor = null;
    this.state.priorFailures = {};
    this.state.parked = [];
    return this.mappingChange;
  }

  /**
   * Workers refused a step because they map with another version than this run (a deploy changed
   * the mapping under it). The run forgets its mapping and reads it again; it compares the new one
   * with the mapping it has been writing under, so a differing one rewrites from the start.
   */
  forgetMapping(): void {
    const mapping = this.state.mapping;
    if (!mapping) return;
    if (!this.settings.dryRun)
      this.state.mappingBefore = { ...mapping, rewritePending: mapping.rewritePending || this.state.rewrite !== undefined };
    delete this.state.mapping;
    delete this.state.rewrite;
  }

  /** The mapping every step that maps or hashes works under; undefined in runs from before mapping versions. */
  get runMapping(): RunMapping | undefined {
    const mapping = this.state.mapping;
    return mapping ? { version: mapping.version, clearFields: mapping.clearFields } : undefined;
  }

  /** The mapping change this run applies, if any, and whether an operator let it past the change guard. */
  get rewrite(): { approved: boolean; description: string } | undefined {
    return this.state.rewrite ? { approved: this.state.rewrite.approved, description: this.mappingChange! } : undefined;
  }

  /** An operator answered the change guard's stop with resume: the rewrite goes on past the guard. */
  approveRewrite(): void {
    if (this.state.rewrite) this.state.rewrite.approved = true;
  }

  private get mappingChange(): string | undefined {
    const rewrite = this.state.rewrite;
    if (!rewrite) return undefined;
    const counters = this.state.counters;
    return describeRewrite(rewrite, this.crmTotal, { rewritten: counters.updated + counters.archived, created: counters.created });
  }

  get cursor(): ChangeCursor | null {
    return this.state.cursor;
  }

  get crmTotal(): number | undefined {
    return this.state.crmTotal < 0 ? undefined : this.state.crmTotal;
  }

  set crmTotal(total: number) {
    this.state.crmTotal = total;
  }

  /** The page being worked on, counted across the whole chain of runs (for activity summaries). */
  get currentPage(): number {
    return this.state.pages + 1;
  }

  get pagesThisRun(): number {
    return this.state.pages - this.pagesBeforeThisRun;
  }

  /**
   * Records what fetching and diffing a page found (before anything is written) and answers the
   * writes to make: all but the versions an operator skipped after they failed in an earlier run.
   */
  recordPage(page: PagePlan): PlannedWrite[] {
    const counters = this.state.counters;
    // A record skipped without a known version (it was parked) is left alone by a rewrite's full pass too.
    const skippedVersion = (write: PlannedWrite) =>
      this.state.skippedFailures.some(
        (entry) =>
          entry.id === write.externalId &&
          (entry.position ? compareCursors(entry.position, write.position) === 0 : this.state.rewrite !== undefined),
      );
    const writes = page.writes.filter((write) => !skippedVersion(write));
    counters.skipped += page.writes.length - writes.length;
    counters.fetched += page.fetched;
    counters.unchanged += page.unchanged;
    counters.skipped += page.skipped;
    counters.rejected += page.rejected.length;
    this.state.remaining = page.remaining ?? null;
    for (const rejection of page.rejected) pushCapped(this.state.rejected, { id: rejection.id, reason: rejection.reason });
    return writes;
  }

  /** Dry run: remembers what would be written. */
  recordPlan(writes: PlannedWrite[]): void {
    for (const write of writes) {
      const list = this.state.plan[write.action];
      if (list.length < maxListedIssues) list.push(write.externalId);
      this.countWritten(write);
    }
  }

  recordVerified(write: PlannedWrite): void {
    this.countWritten(write);
    this.state.parked = this.state.parked.filter((entry) => entry.id !== write.externalId);
  }

  /**
   * A record that failed holds the watermark back, so the next run retries it; one that has now
   * failed `parkAfterAttempts` runs in a row is parked instead, and the watermark may pass it.
   */
  recordFailed(write: PlannedWrite, reason: string): void {
    const parked = this.state.parked.find((entry) => entry.id === write.externalId);
    if (parked) {
      // Read again (it changed, or the overlap re-read it) and refused again: it stays parked and
      // holds nothing back.
      this.state.parked = upsertIssue(this.state.parked, { ...parked, reason, attempts: (parked.attempts ?? 0) + 1 });
      return;
    }
    const attempts = (this.state.priorFailures[write.externalId] ?? 0) + 1;
    if (attempts >= this.settings.parkAfterAttempts) {
      this.state.counters.parked += 1;
      this.state.parked = upsertIssue(this.state.parked, { id: write.externalId, reason, attempts });
      return;
    }
    this.state.counters.failed += 1;
    this.state.failed = this.state.failed.filter((entry) => entry.id !== write.externalId);
    pushCapped(this.state.failed, { id: write.externalId, reason, attempts, position: write.position });
    noteFailure(this.state, write.position);
  }

  /**
   * Whether the record already failed in an earlier run (or is parked): its failing again is no news,
   * so it does not count in the error-rate window.
   */
  isKnownFailure(id: string): boolean {
    return this.state.priorFailures[id] !== undefined || this.state.parked.some((entry) => entry.id === id);
  }

  /**
   * A request left in the schedule's memo by `bridge retry|skip`; each is carried out once per
   * chain, on the records the previous run left failed as well as the parked ones. Answers why a
   * request that matches none of them is refused (it is never silently consumed).
   */
  acceptMemoRequest(request: MemoRequest | undefined, now: string): string | undefined {
    if (!request || request.id === this.state.handledRequestId) return undefined;
    this.state.handledRequestId = request.id;
    const records = { failed: [...this.failedBefore, ...this.state.failed], parked: this.state.parked };
    if (request.retryFailed) {
      const targets = requestTargets('retry', request.retryFailed, records);
      if (targets.ids === undefined) return `retryFailed (left by bridge for this run) refused: ${targets.refused}`;
      this.requestRetry({ ids: targets.ids });
    }
    if (request.skipFailed) {
      const targets = requestTargets('skip', request.skipFailed, records);
      if (targets.ids === undefined) return `skipFailed (left by bridge for this run) refused: ${targets.refused}`;
      this.skip({ ...request.skipFailed, ids: targets.ids }, now);
    }
    return undefined;
  }

  /** `retryFailed`: the records are retried at the next safe point (between pages, or before the run ends). */
  requestRetry(request: RetryFailedRequest): void {
    if (!request.ids || this.state.retryRequested === 'all') {
      this.state.retryRequested = request.ids ? this.state.retryRequested : 'all';
      return;
    }
    this.state.retryRequested = [...new Set([...(this.state.retryRequested ?? []), ...request.ids])];
  }

  /** The ids to retry now (failed and parked ones), clearing the request. */
  takeRetryRequest(): string[] {
    const requested = this.state.retryRequested;
    this.state.retryRequested = null;
    if (!requested) return [];
    const known = [...this.state.failed, ...this.state.parked].map((entry) => entry.id);
    return requested === 'all' ? [...new Set(known)] : requested;
  }

  /** A retried record that landed, or needs no write any more: it no longer holds anything back. */
  resolveFailure(write: PlannedWrite | { externalId: string }): void {
    const id = write.externalId;
    if (this.state.failed.some((entry) => entry.id === id)) this.state.counters.failed -= 1;
    else if (this.state.parked.some((entry) => entry.id === id)) this.state.counters.parked = Math.max(0, this.state.counters.parked - 1);
    if ('action' in write) this.countWritten(write);
    this.dropFailure(id);
  }

  /** A retried record that failed again keeps its place, with the new reason. */
  retryFailedAgain(id: string, reason: string): void {
    const update = (list: RecordIssue[]) => list.map((entry) => (entry.id === id ? { ...entry, reason: capReason(reason) } : entry));
    this.state.failed = update(this.state.failed);
    this.state.parked = update(this.state.parked);
  }

  /**
   * `skipFailed`: stop retrying these records; the reason is kept for audit. A record the previous
   * run left failed is skipped at the version that failed (see recordPage).
   */
  skip(request: SkipFailedRequest, now: string): void {
    const current = [...this.state.failed, ...this.state.parked];
    const before = this.failedBefore.filter((entry) => !current.some((c) => c.id === entry.id));
    const targets = [...current, ...before].filter((entry) => !request.ids || request.ids.includes(entry.id));
    for (const entry of targets) {
      if (this.state.failed.some((f) => f.id === entry.id)) this.state.counters.failed -= 1;
      this.dropFailure(entry.id);
      const version = before.includes(entry) && entry.position ? { position: entry.position } : {};
      this.state.skippedFailures = [
        ...this.state.skippedFailures.filter((s) => s.id !== entry.id),
        { id: entry.id, reason: request.reason, failure: entry.reason, skippedAt: now, ...version },
      ].slice(-maxParkedRecords);
    }
  }

  private dropFailure(id: string): void {
    this.failedBefore = this.failedBefore.filter((entry) => entry.id !== id);
    this.state.failed = this.state.failed.filter((entry) => entry.id !== id);
    this.state.parked = this.state.parked.filter((entry) => entry.id !== id);
    this.releaseWatermarkHold();
  }

  /**
   * After failures are resolved or skipped, the watermark may pass them again. Only when every
   * failure of the run is still listed (the list is capped) can the hold be recomputed safely.
   */
  private releaseWatermarkHold(): void {
    if (this.state.counters.failed > this.state.failed.length) return;
    let earliest: ChangeCursor | null = null;
    for (const entry of this.state.failed) {
      if (entry.position && (!earliest || compareCursors(entry.position, earliest) < 0)) earliest = entry.position;
    }
    this.state.earliestFailure = earliest;
  }

  failures(): FailuresReport {
    return {
      integrationId: this.settings.integrationId,
      failed: this.state.failed,
      parked: this.state.parked,
      skipped: this.state.skippedFailures,
      rejected: this.state.rejected,
      counts: {
        failed: this.state.counters.failed,
        parked: this.state.parked.length,
        skipped: this.state.skippedFailures.length,
        rejected: this.state.counters.rejected,
      },
    };
  }

  private countWritten(write: PlannedWrite): void {
    const counters = this.state.counters;
    if (write.action === 'create') counters.created += 1;
    else if (write.action === 'update') counters.updated += 1;
    else counters.archived += 1;
  }

  finishPage(nextCursor: ChangeCursor | null): void {
    if (nextCursor) this.state.cursor = nextCursor;
    this.state.pages += 1;
  }

  /** Where the next run starts (see feedWatermark). */
  get watermark(): ChangeCursor | null {
    return feedWatermark(this.state, this.settings.dryRun);
  }

  continuation(): ProductSyncContinuation {
    return { ...this.state, continuedAsNew: this.state.continuedAsNew + 1 };
  }

  progress(state: SyncState, now: string): SyncProgress {
    const seconds = (Date.parse(now) - Date.parse(this.state.startedAt)) / 1000;
    const rate = seconds > 0 ? this.state.counters.fetched / seconds : 0;
    return {
      state,
      integrationId: this.settings.integrationId,
      pages: this.state.pages,
      counts: { ...this.state.counters },
      cursor: this.state.cursor,
      watermark: this.watermark,
      ...(seconds > 0 ? { recordsPerSecond: Math.round(rate * 10) / 10 } : {}),
      ...(rate > 0 && this.state.remaining !== null ? { estimatedSecondsLeft: Math.ceil(this.state.remaining / rate) } : {}),
      ...(this.mappingChange ? { mappingChange: this.mappingChange } : {}),
    };
  }

  summary(finishedAt: string, cancelled = false): ProductSyncSummary {
    const counters = this.state.counters;
    const mapping = this.state.mapping
      ? mappingAfterRun(this.state.mappingBefore, this.state.mapping, { dryRun: this.settings.dryRun, cancelled, failed: counters.failed })
      : this.state.mappingBefore;
    return {
      integrationId: this.settings.integrationId,
      mode: this.settings.mode,
      dryRun: this.settings.dryRun,
      status: cancelled ? 'Cancelled' : counters.failed + counters.parked > 0 ? 'CompletedWithFailures' : 'Completed',
      counts: { ...counters },
      rejected: this.state.rejected,
      failed: this.state.failed,
      parked: this.state.parked,
      skippedFailures: this.state.skippedFailures,
      ...(this.state.handledRequestId ? { handledRequestId: this.state.handledRequestId } : {}),
      ...(this.settings.dryRun ? { plan: this.state.plan } : {}),
      watermark: this.watermark,
      ...runTiming(this.state.startedAt, finishedAt),
      pages: this.state.pages,
      continuedAsNew: this.state.continuedAsNew,
      ...(mapping ? { mapping } : {}),
      ...(this.mappingChange ? { mappingChange: this.mappingChange } : {}),
    };
  }
}

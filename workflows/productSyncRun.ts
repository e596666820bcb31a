import type {
  ChangeCursor,
  PagePlan,
  PlannedWrite,
  ProductSyncContinuation,
  ProductSyncSettings,
  ProductSyncSummary,
  RecordIssue,
  SyncCounters,
} from './productSyncTypes';
import type { SyncProgress, SyncState } from './syncProgress';

/** Longest list of rejected or failed records a summary carries; counts keep the totals. */
export const maxListedIssues = 100;
const maxReasonLength = 300;

/** Orders change-feed positions the way the source pages them: by time, then id. */
export function compareCursors(a: ChangeCursor, b: ChangeCursor): number {
  const byTime = Date.parse(a.since) - Date.parse(b.since);
  if (byTime !== 0) return byTime;
  return a.afterId < b.afterId ? -1 : a.afterId > b.afterId ? 1 : 0;
}

/** Moves a watermark back by the overlap, inclusive of everything at that instant. */
export function withOverlap(watermark: ChangeCursor | null, overlapMs: number): ChangeCursor | null {
  if (!watermark) return null;
  if (overlapMs === 0) return watermark;
  return { since: new Date(Date.parse(watermark.since) - overlapMs).toISOString(), afterId: '' };
}

function emptyCounters(): SyncCounters {
  return { fetched: 0, created: 0, updated: 0, archived: 0, unchanged: 0, skipped: 0, rejected: 0, failed: 0 };
}

function pushCapped(list: RecordIssue[], issue: RecordIssue): void {
  if (list.length < maxListedIssues) list.push({ ...issue, reason: issue.reason.slice(0, maxReasonLength) });
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
  ) {
    this.pagesBeforeThisRun = state.pages;
  }

  /** Starts fresh, from an explicit watermark or the previous scheduled run's result, or continues. */
  static begin(settings: ProductSyncSettings, lastResult: unknown, now: string): ProductSyncRun {
    if (settings.continuation) return new ProductSyncRun(settings, settings.continuation);
    const previous = isSummary(lastResult) ? lastResult : undefined;
    const startWatermark = settings.watermark !== undefined ? settings.watermark : (previous?.watermark ?? null);
    const priorFailures: Record<string, number> = {};
    for (const failure of previous?.failed ?? []) priorFailures[failure.id] = failure.attempts ?? 1;
    return new ProductSyncRun(settings, {
      cursor: withOverlap(startWatermark, settings.overlapMs),
      earliestFailure: null,
      startWatermark,
      counters: emptyCounters(),
      rejected: [],
      failed: [],
      priorFailures,
      plan: { create: [], update: [], archive: [] },
      crmTotal: -1,
      pages: 0,
      continuedAsNew: 0,
      startedAt: now,
    });
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

  get pagesThisRun(): number {
    return this.state.pages - this.pagesBeforeThisRun;
  }

  /** Records what fetching and diffing a page found (before anything is written). */
  recordPage(page: PagePlan): void {
    const counters = this.state.counters;
    counters.fetched += page.fetched;
    counters.unchanged += page.unchanged;
    counters.skipped += page.skipped;
    counters.rejected += page.rejected.length;
    for (const rejection of page.rejected) pushCapped(this.state.rejected, { id: rejection.id, reason: rejection.reason });
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
  }

  recordFailed(write: PlannedWrite, reason: string): void {
    this.state.counters.failed += 1;
    const attempts = (this.state.priorFailures[write.externalId] ?? 0) + 1;
    pushCapped(this.state.failed, { id: write.externalId, reason, attempts });
    const earliest = this.state.earliestFailure;
    if (!earliest || compareCursors(write.position, earliest) < 0) this.state.earliestFailure = write.position;
  }

  private countWritten(write: PlannedWrite): void {
    const counters = this.state.counters;
    if (write.action === 'create') counters.created += 1;
    else if (write.action === 'update') counters.updated += 1;
    else counters.archived += 1;
  }

  /** Updates and archives so far: what the change guard limits. */
  get changesSoFar(): number {
    return this.state.counters.updated + this.state.counters.archived;
  }

  finishPage(nextCursor: ChangeCursor | null): void {
    if (nextCursor) this.state.cursor = nextCursor;
    this.state.pages += 1;
  }

  /**
   * Where the next run starts. Never past a record that failed (it must be fetched again), but past
   * records that were verified or explicitly rejected. A dry run moves nothing.
   */
  get watermark(): ChangeCursor | null {
    if (this.settings.dryRun) return this.state.startWatermark;
    const failure = this.state.earliestFailure;
    if (failure) return { since: failure.since, afterId: '' };
    return this.state.cursor ?? this.state.startWatermark;
  }

  continuation(): ProductSyncContinuation {
    return { ...this.state, continuedAsNew: this.state.continuedAsNew + 1 };
  }

  progress(state: SyncState): SyncProgress {
    return {
      state,
      integrationId: this.settings.integrationId,
      pages: this.state.pages,
      counts: { ...this.state.counters },
      cursor: this.state.cursor,
      watermark: this.watermark,
    };
  }

  summary(finishedAt: string): ProductSyncSummary {
    const counters = this.state.counters;
    return {
      integrationId: this.settings.integrationId,
      mode: this.settings.mode,
      dryRun: this.settings.dryRun,
      status: counters.failed > 0 ? 'CompletedWithFailures' : 'Completed',
      counts: { ...counters },
      rejected: this.state.rejected,
      failed: this.state.failed,
      ...(this.settings.dryRun ? { plan: this.state.plan } : {}),
      watermark: this.watermark,
      startedAt: this.state.startedAt,
      finishedAt,
      durationMs: Date.parse(finishedAt) - Date.parse(this.state.startedAt),
      pages: this.state.pages,
      continuedAsNew: this.state.continuedAsNew,
    };
  }
}

function isSummary(value: unknown): value is ProductSyncSummary {
  return typeof value === 'object' && value !== null && 'watermark' in value && 'counts' in value;
}

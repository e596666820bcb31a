import type { ChangeCursor } from '../src/shared/changeCursor';
import type { RequirementPage, WriteLinksResult } from '../src/shared/demandActivityTypes';
import {
  statusCounterNames,
  type DemandStatusContinuation,
  type DemandStatusSettings,
  type DemandStatusSummary,
} from '../src/shared/demandStatusContract';
import { pushCapped } from '../src/shared/recordIssues';
import { runTiming } from '../src/shared/runFacts';
import type { SyncProgress, SyncState } from '../src/shared/syncProgress';
import { feedWatermark, noteFailure, startFeed, type FeedState } from './feedState';
import { previousSummary } from './lastResult';

/** Bookkeeping of one demandStatus run across continue-as-new: the requirement feed, counters, failures. */
export class DemandStatusRun {
  private readonly pagesBefore: number;

  private constructor(
    private readonly settings: DemandStatusSettings,
    private readonly state: DemandStatusContinuation,
  ) {
    this.pagesBefore = state.pages;
  }

  /** Starts fresh, from an explicit watermark or the previous scheduled run's result, or continues. */
  static begin(settings: DemandStatusSettings, lastResult: unknown, now: string): DemandStatusRun {
    if (settings.continuation) return new DemandStatusRun(settings, settings.continuation);
    const previous = previousSummary<DemandStatusSummary>(lastResult, 'counts')?.watermark ?? null;
    return new DemandStatusRun(settings, {
      feed: { ...startFeed(settings.watermark !== undefined ? settings.watermark : previous, settings.overlapMs), done: false },
      counts: Object.fromEntries(statusCounterNames.map((name) => [name, 0])) as DemandStatusContinuation['counts'],
      failed: [],
      pages: 0,
      continuedAsNew: 0,
      startedAt: now,
    });
  }

  get feed(): FeedState & { done: boolean } {
    return this.state.feed;
  }

  get pagesThisRun(): number {
    return this.state.pages - this.pagesBefore;
  }

  recordFetched(page: RequirementPage): void {
    this.state.counts.fetched += page.fetched;
  }

  recordWritten(written: WriteLinksResult): void {
    this.state.counts.updated += written.changed.length;
    this.state.counts.unchanged += written.unchanged.length;
    this.state.counts.missing += written.missing.length;
  }

  /** A demand that does not show its requirement's status: it holds the watermark, so the next run writes it again. */
  recordMismatch(id: string, reason: string, position: ChangeCursor): void {
    this.state.counts.failed += 1;
    pushCapped(this.state.failed, { id, reason });
    noteFailure(this.state.feed, position);
  }

  finishPage(nextCursor: ChangeCursor | null, hasMore: boolean): void {
    if (nextCursor) this.state.feed.cursor = nextCursor;
    this.state.feed.done = !hasMore;
    this.state.pages += 1;
  }

  get watermark(): ChangeCursor | null {
    return feedWatermark(this.state.feed);
  }

  continuation(): DemandStatusContinuation {
    return { ...this.state, continuedAsNew: this.state.continuedAsNew + 1 };
  }

  progress(state: SyncState): SyncProgress {
    return {
      state,
      integrationId: this.settings.integrationId,
      pages: this.state.pages,
      counts: { ...this.state.counts },
      cursor: this.state.feed.cursor,
      watermark: this.watermark,
    };
  }

  summary(finishedAt: string, cancelled = false): DemandStatusSummary {
    return {
      integrationId: this.settings.integrationId,
      status: cancelled ? 'Cancelled' : this.state.counts.failed > 0 ? 'CompletedWithFailures' : 'Completed',
      counts: this.state.counts,
      failed: this.state.failed,
      watermark: this.watermark,
      ...runTiming(this.state.startedAt, finishedAt),
      pages: this.state.pages,
      continuedAsNew: this.state.continuedAsNew,
    };
  }
}

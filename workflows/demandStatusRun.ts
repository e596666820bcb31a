import type { ChangeCursor } from '../src/shared/changeCursor';
import type { RequirementPage, WriteLinksResult } from '../src/shared/demandActivityTypes';
import {
  statusCounterNames,
  type DemandStatusContinuation,
  type DemandStatusSettings,
  type DemandStatusSummary,
} from '../src/shared/demandStatusContract';
import type { FailuresReport } from '../src/shared/failuresReport';
import type { MemoRequest, RetryFailedRequest, SkipFailedRequest } from '../src/shared/operatorRequests';
import { FailureLedger } from './failureLedger';
import { runTiming } from '../src/shared/runFacts';
import type { SyncProgress, SyncState } from '../src/shared/syncProgress';
import { feedWatermark, noteFailure, rewindTo, startFeed, type FeedState } from './feedState';
import { previousSummary } from './lastResult';

/** Bookkeeping of one demandStatus run across continue-as-new: the requirement feed, counters, failures. */
export class DemandStatusRun {
  private readonly pagesBefore: number;
  private readonly ledger: FailureLedger;

  private constructor(
    private readonly settings: DemandStatusSettings,
    private readonly state: DemandStatusContinuation,
  ) {
    this.pagesBefore = state.pages;
    this.ledger = new FailureLedger(state, settings.parkAfterAttempts);
  }

  /** Starts fresh, from an explicit watermark or the previous scheduled run's result, or continues. */
  static begin(settings: DemandStatusSettings, lastResult: unknown, now: string): DemandStatusRun {
    if (settings.continuation) return new DemandStatusRun(settings, settings.continuation);
    const previousRun = previousSummary<DemandStatusSummary>(lastResult, 'counts');
    const previous = previousRun?.watermark ?? null;
    return new DemandStatusRun(settings, {
      feed: { ...startFeed(settings.watermark !== undefined ? settings.watermark : previous, settings.overlapMs), done: false },
      counts: Object.fromEntries(statusCounterNames.map((name) => [name, 0])) as DemandStatusContinuation['counts'],
      ...FailureLedger.start(previousRun),
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
    if (this.ledger.recordFailure({ id, reason, position, feed: 'requirements' }) !== 'failed') return;
    this.state.counts.failed += 1;
    noteFailure(this.state.feed, position);
  }

  /** A request left in the schedule's memo by `bridge retry|skip`; each is carried out once per chain. */
  acceptMemoRequest(request: MemoRequest | undefined, now: string): void {
    this.ledger.acceptMemoRequest(request, now);
  }

  /** `retryFailed`: the demands' requirements are read again from their place in the feed at the next page boundary. */
  requestRetry(request: RetryFailedRequest): void {
    this.ledger.requestRetry(request);
  }

  /** Carries out a pending `retryFailed` (see DemandMappingRun.applyRetryRequest). Returns how many records are retried. */
  applyRetryRequest(): number {
    const taken = this.ledger.takeRetryRequest();
    const entries = [...taken.failed, ...taken.parked].filter((entry) => entry.position !== undefined);
    if (entries.length === 0) return 0;
    this.state.counts.failed = Math.max(0, this.state.counts.failed - taken.failed.length);
    rewindTo(
      this.state.feed,
      entries.map((entry) => entry.position!),
    );
    this.releaseWatermarkHold();
    return entries.length;
  }

  /** `skipFailed`: stop retrying these demands; the reason is kept for audit. */
  skip(request: SkipFailedRequest, now: string): void {
    this.state.counts.failed = Math.max(0, this.state.counts.failed - this.ledger.skip(request, now).length);
    this.releaseWatermarkHold();
  }

  private releaseWatermarkHold(): void {
    if (this.state.counts.failed > this.ledger.failed.length) return;
    this.state.feed.earliestFailure = this.ledger.earliestFailure('requirements');
  }

  failures(): FailuresReport {
    return {
      integrationId: this.settings.integrationId,
      failed: this.ledger.failed,
      parked: this.ledger.parked,
      skipped: this.ledger.skipped,
      rejected: [],
      counts: { failed: this.state.counts.failed, parked: this.ledger.parked.length, skipped: this.ledger.skipped.length, rejected: 0 },
    };
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
      status: cancelled ? 'Cancelled' : this.state.counts.failed + this.ledger.parked.length > 0 ? 'CompletedWithFailures' : 'Completed',
      counts: this.state.counts,
      failed: this.ledger.failed,
      parked: this.ledger.parked,
      skippedFailures: this.ledger.skipped,
      ...(this.ledger.handledRequestId ? { handledRequestId: this.ledger.handledRequestId } : {}),
      watermark: this.watermark,
      ...runTiming(this.state.startedAt, finishedAt),
      pages: this.state.pages,
      continuedAsNew: this.state.continuedAsNew,
    };
  }
}

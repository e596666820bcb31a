import {
  demandCounterNames,
  orderCounterNames,
  type DemandCounters,
  type DemandMappingContinuation,
  type DemandMappingSettings,
  type DemandMappingSummary,
  type DemandWatermark,
  type OrderCounters,
} from '../src/shared/demandMappingContract';
import { type PositionedIssue, type RecordIssue, pushCapped } from '../src/shared/recordIssues';
import type { FailuresReport } from '../src/shared/failuresReport';
import type { MemoRequest, RetryFailedRequest, SkipFailedRequest } from '../src/shared/operatorRequests';
import { FailureLedger } from './failureLedger';
import { previousSummary } from './lastResult';
import { runTiming } from '../src/shared/runFacts';
import { feedWatermark, noteFailure, rewindTo, startFeed, type FeedState } from './feedState';
import type { ChangeCursor } from '../src/shared/changeCursor';
import type { SyncProgress, SyncState } from '../src/shared/syncProgress';

const zeros = <K extends string>(names: readonly K[]) => Object.fromEntries(names.map((name) => [name, 0])) as Record<K, number>;

/** Bookkeeping of one demandMapping run across continue-as-new: two feeds (demands, orders), counters, lists. */
export class DemandMappingRun {
  private readonly pagesBefore: number;
  private readonly ledger: FailureLedger;

  private constructor(
    private readonly settings: DemandMappingSettings,
    private readonly state: DemandMappingContinuation,
  ) {
    this.pagesBefore = state.pages;
    this.ledger = new FailureLedger(state, settings.parkAfterAttempts);
  }

  static begin(settings: DemandMappingSettings, lastResult: unknown, now: string): DemandMappingRun {
    if (settings.continuation) return new DemandMappingRun(settings, settings.continuation);
    const previousRun = previousSummary<DemandMappingSummary>(lastResult, 'demands');
    const previous = previousRun?.watermark;
    const start: DemandWatermark =
      settings.watermark !== undefined
        ? (settings.watermark ?? { demands: null, orders: null })
        : (previous ?? { demands: null, orders: null });
    return new DemandMappingRun(settings, {
      demands: { ...startFeed(start.demands, settings.overlapMs), done: false },
      orders: { ...startFeed(start.orders, settings.overlapMs), done: false },
      demandCounts: zeros(demandCounterNames),
      orderCounts: zeros(orderCounterNames),
      rejected: [],
      ...FailureLedger.start(previousRun),
      pages: 0,
      continuedAsNew: 0,
      startedAt: now,
    });
  }

  get demandFeed(): FeedState & { done: boolean } {
    return this.state.demands;
  }

  get orderFeed(): FeedState & { done: boolean } {
    return this.state.orders;
  }

  get pagesThisRun(): number {
    return this.state.pages - this.pagesBefore;
  }

  count(feed: 'demands', name: keyof DemandCounters, by?: number): void;
  count(feed: 'orders', name: keyof OrderCounters, by?: number): void;
  count(feed: 'demands' | 'orders', name: string, by = 1): void {
    const counters: Record<string, number> = feed === 'demands' ? this.state.demandCounts : this.state.orderCounts;
    counters[name] = (counters[name] ?? 0) + by;
  }

  reject(feed: 'demands' | 'orders', issues: PositionedIssue[]): void {
    for (const { id, reason } of issues) {
      pushCapped(this.state.rejected, { id, reason });
      (feed === 'demands' ? this.state.demandCounts : this.state.orderCounts).rejected += 1;
    }
  }

  /**
   * A demand or order that could not be placed (e.g. it names a SKU the CRM never gets): it holds
   * its feed's watermark, so the next run tries again, until it has failed `parkAfterAttempts` runs
   * in a row; then it is parked and the watermark passes it.
   */
  fail(feed: 'demands' | 'orders', id: string, reason: string, position: ChangeCursor): void {
    if (this.ledger.recordFailure({ id, reason, position, feed }) !== 'failed') return;
    (feed === 'demands' ? this.state.demandCounts : this.state.orderCounts).failed += 1;
    noteFailure(this.state[feed], position);
  }

  /** A demand placed or an order written: if it failed or was parked before, it holds nothing back any more. */
  resolved(ids: string[]): void {
    for (const id of ids) this.ledger.resolve(id);
  }

  /** A request left in the schedule's memo by `bridge retry|skip`; each is carried out once per chain. */
  acceptMemoRequest(request: MemoRequest | undefined, now: string): void {
    this.ledger.acceptMemoRequest(request, now);
  }

  /** `retryFailed`: the records are read again from their place in the feed at the next page boundary. */
  requestRetry(request: RetryFailedRequest): void {
    this.ledger.requestRetry(request);
  }

  /**
   * Carries out a pending `retryFailed`: each feed holding a requested record goes back to just
   * before the earliest of them and reads on from there (mapping is idempotent: records already
   * placed come out unchanged). Returns how many records are retried.
   */
  applyRetryRequest(): number {
    const taken = this.ledger.takeRetryRequest();
    for (const feedName of ['demands', 'orders'] as const) {
      const inFeed = (entry: RecordIssue) => (entry.feed ?? 'demands') === feedName && entry.position !== undefined;
      const failed = taken.failed.filter(inFeed);
      const entries = [...failed, ...taken.parked.filter(inFeed)];
      if (entries.length === 0) continue;
      const counts = feedName === 'demands' ? this.state.demandCounts : this.state.orderCounts;
      counts.failed = Math.max(0, counts.failed - failed.length);
      rewindTo(
        this.state[feedName],
        entries.map((entry) => entry.position!),
      );
      this.releaseWatermarkHold(feedName);
    }
    return taken.failed.length + taken.parked.length;
  }

  /** `skipFailed`: stop retrying these records; the reason is kept for audit. */
  skip(request: SkipFailedRequest, now: string): void {
    const wasFailed = this.ledger.skip(request, now);
    for (const feedName of ['demands', 'orders'] as const) {
      const counts = feedName === 'demands' ? this.state.demandCounts : this.state.orderCounts;
      counts.failed = Math.max(0, counts.failed - wasFailed.filter((entry) => (entry.feed ?? 'demands') === feedName).length);
      this.releaseWatermarkHold(feedName);
    }
  }

  /** The watermark may pass resolved failures again, when every failure of the feed is still listed (the list is capped). */
  private releaseWatermarkHold(feedName: 'demands' | 'orders'): void {
    const counts = feedName === 'demands' ? this.state.demandCounts : this.state.orderCounts;
    const listed = this.ledger.failed.filter((entry) => (entry.feed ?? 'demands') === feedName).length;
    if (counts.failed > listed) return;
    this.state[feedName].earliestFailure = this.ledger.earliestFailure(feedName);
  }

  failures(): FailuresReport {
    return {
      integrationId: this.settings.integrationId,
      failed: this.ledger.failed,
      parked: this.ledger.parked,
      skipped: this.ledger.skipped,
      rejected: this.state.rejected,
      counts: {
        failed: this.state.demandCounts.failed + this.state.orderCounts.failed,
        parked: this.ledger.parked.length,
        skipped: this.ledger.skipped.length,
        rejected: this.state.demandCounts.rejected + this.state.orderCounts.rejected,
      },
    };
  }

  finishPage(feed: 'demands' | 'orders', nextCursor: ChangeCursor | null, hasMore: boolean): void {
    if (nextCursor) this.state[feed].cursor = nextCursor;
    this.state[feed].done = !hasMore;
    this.state.pages += 1;
  }

  get watermark(): DemandWatermark {
    return { demands: feedWatermark(this.state.demands), orders: feedWatermark(this.state.orders) };
  }

  continuation(): DemandMappingContinuation {
    return { ...this.state, continuedAsNew: this.state.continuedAsNew + 1 };
  }

  progress(state: SyncState): SyncProgress {
    const feed = this.state.demands.done ? this.state.orders : this.state.demands;
    return {
      state,
      integrationId: this.settings.integrationId,
      pages: this.state.pages,
      counts: { demands: { ...this.state.demandCounts }, orders: { ...this.state.orderCounts } },
      cursor: feed.cursor,
      watermark: this.watermark,
    };
  }

  summary(finishedAt: string, cancelled = false): DemandMappingSummary {
    const failed = this.state.demandCounts.failed + this.state.orderCounts.failed + this.ledger.parked.length;
    return {
      integrationId: this.settings.integrationId,
      status: cancelled ? 'Cancelled' : failed > 0 ? 'CompletedWithFailures' : 'Completed',
      demands: { ...this.state.demandCounts },
      orders: { ...this.state.orderCounts },
      rejected: this.state.rejected,
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

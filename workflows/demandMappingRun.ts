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
import { type PositionedIssue, pushCapped } from '../src/shared/recordIssues';
import { previousSummary } from './lastResult';
import { runTiming } from '../src/shared/runFacts';
import { feedWatermark, noteFailure, startFeed, type FeedState } from './feedState';
import type { ChangeCursor } from '../src/shared/changeCursor';
import type { SyncProgress, SyncState } from '../src/shared/syncProgress';

const zeros = <K extends string>(names: readonly K[]) => Object.fromEntries(names.map((name) => [name, 0])) as Record<K, number>;

/** Bookkeeping of one demandMapping run across continue-as-new: two feeds (demands, orders), counters, lists. */
export class DemandMappingRun {
  private readonly pagesBefore: number;

  private constructor(
    private readonly settings: DemandMappingSettings,
    private readonly state: DemandMappingContinuation,
  ) {
    this.pagesBefore = state.pages;
  }

  static begin(settings: DemandMappingSettings, lastResult: unknown, now: string): DemandMappingRun {
    if (settings.continuation) return new DemandMappingRun(settings, settings.continuation);
    const previous = previousSummary<DemandMappingSummary>(lastResult, 'demands')?.watermark;
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
      failed: [],
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

  fail(feed: 'demands' | 'orders', id: string, reason: string, position: ChangeCursor): void {
    pushCapped(this.state.failed, { id, reason });
    (feed === 'demands' ? this.state.demandCounts : this.state.orderCounts).failed += 1;
    noteFailure(this.state[feed], position);
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
    const failed = this.state.demandCounts.failed + this.state.orderCounts.failed;
    return {
      integrationId: this.settings.integrationId,
      status: cancelled ? 'Cancelled' : failed > 0 ? 'CompletedWithFailures' : 'Completed',
      demands: { ...this.state.demandCounts },
      orders: { ...this.state.orderCounts },
      rejected: this.state.rejected,
      failed: this.state.failed,
      watermark: this.watermark,
      ...runTiming(this.state.startedAt, finishedAt),
      pages: this.state.pages,
      continuedAsNew: this.state.continuedAsNew,
    };
  }
}

import type { FailureLedgerState } from '../src/shared/failureLedgerState';
import type { SkippedRecord } from '../src/shared/failuresReport';
import type { MemoRequest, RetryFailedRequest, SkipFailedRequest } from '../src/shared/operatorRequests';
import { compareCursors, type ChangeCursor } from '../src/shared/changeCursor';
import { type RecordIssue, capReason, maxParkedRecords, pushCapped, upsertIssue } from '../src/shared/recordIssues';

/** What the previous scheduled run's summary hands the ledger. */
export interface PreviousFailures {
  failed?: RecordIssue[];
  parked?: RecordIssue[];
  skippedFailures?: SkippedRecord[];
  handledRequestId?: string;
}

/** Where a failure landed: `failed` holds its feed's watermark (retried next run), `parked` does not. */
export type FailureOutcome = 'failed' | 'parked' | 'skipped';

/**
 * The failed, parked and skipped records of a demand sync run and what operators asked about them:
 * a record that fails `parkAfterAttempts` scheduled runs in a row is parked, so the watermark
 * passes it; `retryFailed` and `skipFailed` act on failed and parked records alike. Pure and
 * deterministic; it works on the run's own state object, which continue-as-new carries.
 */
export class FailureLedger {
  constructor(
    private readonly state: FailureLedgerState,
    private readonly parkAfterAttempts: number,
  ) {}

  /** The ledger fields of a fresh run, continuing the previous scheduled run's lists. */
  static start(previous: PreviousFailures | undefined): FailureLedgerState {
    const priorFailures: Record<string, number> = {};
    for (const failure of previous?.failed ?? []) priorFailures[failure.id] = failure.attempts ?? 1;
    return {
      failed: [],
      parked: previous?.parked ?? [],
      skippedFailures: previous?.skippedFailures ?? [],
      priorFailures,
      retryRequested: null,
      ...(previous?.handledRequestId ? { handledRequestId: previous.handledRequestId } : {}),
    };
  }

  /**
   * A record failed in this run. It is parked when this makes `parkAfterAttempts` runs in a row, or
   * when it was parked already (read again and failed again); otherwise it is failed and holds the
   * watermark of its feed.
   */
  recordFailure(issue: { id: string; reason: string; position: ChangeCursor; feed: string }): FailureOutcome {
    // An operator chose to stop retrying it: read again (the overlap, or a change), it holds nothing back.
    if (this.state.skippedFailures.some((skipped) => skipped.id === issue.id)) return 'skipped';
    const parked = this.state.parked.find((entry) => entry.id === issue.id);
    const attempts = (parked?.attempts ?? this.state.priorFailures[issue.id] ?? 0) + 1;
    if (parked || attempts >= this.parkAfterAttempts) {
      this.state.parked = upsertIssue(this.state.parked, { ...issue, attempts });
      this.state.failed = this.state.failed.filter((entry) => entry.id !== issue.id);
      return 'parked';
    }
    this.state.failed = this.state.failed.filter((entry) => entry.id !== issue.id);
    pushCapped(this.state.failed, { ...issue, attempts });
    return 'failed';
  }

  /** A record that went through now: it holds nothing back any more. */
  resolve(id: string): void {
    this.state.failed = this.state.failed.filter((entry) => entry.id !== id);
    this.state.parked = this.state.parked.filter((entry) => entry.id !== id);
  }

  /** A request left in the schedule's memo by `bridge retry|skip`; each is carried out once per chain. */
  acceptMemoRequest(request: MemoRequest | undefined, now: string): void {
    if (!request || request.id === this.state.handledRequestId) return;
    this.state.handledRequestId = request.id;
    if (request.retryFailed) this.requestRetry(request.retryFailed);
    if (request.skipFailed) this.skip(request.skipFailed, now);
  }

  /** `retryFailed`: carried out at the next page boundary (see takeRetryRequest). */
  requestRetry(request: RetryFailedRequest): void {
    if (!request.ids || this.state.retryRequested === 'all') {
      this.state.retryRequested = request.ids ? this.state.retryRequested : 'all';
      return;
    }
    this.state.retryRequested = [...new Set([...(this.state.retryRequested ?? []), ...request.ids])];
  }

  /**
   * The failed and parked records to retry now, taken off both lists (they are read again from
   * their place in the feed; failing again, they come back with one more attempt). Clears the request.
   */
  takeRetryRequest(): { failed: RecordIssue[]; parked: RecordIssue[] } {
    const requested = this.state.retryRequested;
    this.state.retryRequested = null;
    if (!requested) return { failed: [], parked: [] };
    const wanted = (entry: RecordIssue) => requested === 'all' || requested.includes(entry.id);
    const taken = { failed: this.state.failed.filter(wanted), parked: this.state.parked.filter(wanted) };
    for (const entry of [...taken.failed, ...taken.parked]) this.resolve(entry.id);
    return taken;
  }

  /** `skipFailed`: stop retrying these records; the reason is kept for audit. Returns those that were failed (not parked). */
  skip(request: SkipFailedRequest, now: string): RecordIssue[] {
    const wanted = (entry: RecordIssue) => !request.ids || request.ids.includes(entry.id);
    const wasFailed = this.state.failed.filter(wanted);
    for (const entry of [...this.state.failed, ...this.state.parked].filter(wanted)) {
      this.resolve(entry.id);
      this.state.skippedFailures = [
        ...this.state.skippedFailures.filter((skipped) => skipped.id !== entry.id),
        { id: entry.id, reason: request.reason, failure: capReason(entry.reason), skippedAt: now },
      ].slice(-maxParkedRecords);
    }
    return wasFailed;
  }

  /** The earliest listed failed record of a feed: where its watermark must stop. */
  earliestFailure(feed: string): ChangeCursor | null {
    let earliest: ChangeCursor | null = null;
    for (const entry of this.state.failed) {
      if (entry.feed === feed && entry.position && (!earliest || compareCursors(entry.position, earliest) < 0)) earliest = entry.position;
    }
    return earliest;
  }

  get failed(): RecordIssue[] {
    return this.state.failed;
  }

  get parked(): RecordIssue[] {
    return this.state.parked;
  }

  get skipped(): SkippedRecord[] {
    return this.state.skippedFailures;
  }

  get handledRequestId(): string | undefined {
    return this.state.handledRequestId;
  }
}

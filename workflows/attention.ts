import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { AttentionSettings } from '../src/shared/attentionSettings';
import { outageFailureTypes } from '../src/shared/failureTypes';

/**
 * The operator-facing reason when an activity failed because a system is unavailable (its retries
 * are used up); undefined for anything else, which must end the run instead.
 */
export function outageReason(error: unknown): string | undefined {
  if (!(error instanceof ActivityFailure)) return undefined;
  const cause = error.cause;
  if (cause instanceof ApplicationFailure) return cause.type && outageFailureTypes.has(cause.type) ? cause.message : undefined;
  // A timeout (worker gone for too long, a call that never answers) is an outage too.
  return cause?.name === 'TimeoutFailure' ? `${error.activityType ?? 'an activity'} timed out` : undefined;
}

/** The share of failed records over the last few pages: the run's early warning. */
export class ErrorRateWindow {
  private pages: Array<{ attempted: number; failed: number }>;

  /** `pages`: the window a previous run of the chain carried over. */
  constructor(
    private readonly settings: AttentionSettings,
    pages: ReadonlyArray<{ attempted: number; failed: number }> = [],
  ) {
    this.pages = pages.slice(-settings.errorRateWindow);
  }

  /** The window's pages, to carry across continue-as-new. */
  snapshot(): Array<{ attempted: number; failed: number }> {
    return this.pages.map((page) => ({ ...page }));
  }

  record(attempted: number, failed: number): void {
    if (attempted === 0) return;
    this.pages.push({ attempted, failed });
    if (this.pages.length > this.settings.errorRateWindow) this.pages.shift();
  }

  /** A sentence for the operator when the threshold is crossed; undefined otherwise. */
  exceeded(): string | undefined {
    const attempted = this.pages.reduce((sum, page) => sum + page.attempted, 0);
    const failed = this.pages.reduce((sum, page) => sum + page.failed, 0);
    if (attempted < this.settings.errorRateMinRecords || failed / attempted <= this.settings.errorRateThreshold) return undefined;
    return `${failed} of the last ${attempted} records written failed (${Math.round((failed / attempted) * 100)}%, threshold ${Math.round(this.settings.errorRateThreshold * 100)}%)`;
  }

  /** After an operator resumed: judge from fresh pages only. */
  reset(): void {
    this.pages = [];
  }
}

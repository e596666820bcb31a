import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { z } from 'zod';

/**
 * When a run stops hammering a failing system and asks for a person (state NeedsAttention):
 * a system stays unavailable past an activity's retries, or too many records fail.
 */
export const attentionSettingsSchema = z
  .object({
    /** Share of the records written in the last `errorRateWindow` pages that may fail. */
    errorRateThreshold: z.number().min(0).max(1).default(0.5),
    errorRateWindow: z.number().int().min(1).max(100).default(5),
    /** Fewer attempted records than this in the window never trip the threshold. */
    errorRateMinRecords: z.number().int().min(1).default(10),
    /** How long to wait for `resume` or `retryFailed` before ending as Failed. */
    timeoutMs: z.number().int().min(1_000).default(86_400_000),
  })
  .default({ errorRateThreshold: 0.5, errorRateWindow: 5, errorRateMinRecords: 10, timeoutMs: 86_400_000 });
export type AttentionSettings = z.output<typeof attentionSettingsSchema>;

/** What the alert activity is told. */
export interface AttentionAlert {
  workflowType: string;
  integrationId: string;
  workflowId: string;
  reason: string;
  /** ISO time after which the run ends as Failed if nobody answers. */
  waitsUntil: string;
}

/** Failure types that mean "this system cannot be used right now", as opposed to a bug or bad credentials. */
const outageTypes = new Set(['SystemUnavailable', 'RateLimited', 'InvalidResponse']);

/**
 * The operator-facing reason when an activity failed because a system is unavailable (its retries
 * are used up); undefined for anything else, which must end the run instead.
 */
export function outageReason(error: unknown): string | undefined {
  if (!(error instanceof ActivityFailure)) return undefined;
  const cause = error.cause;
  if (cause instanceof ApplicationFailure) return cause.type && outageTypes.has(cause.type) ? cause.message : undefined;
  // A timeout (worker gone for too long, a call that never answers) is an outage too.
  return cause?.name === 'TimeoutFailure' ? `${error.activityType ?? 'an activity'} timed out` : undefined;
}

/** The share of failed records over the last few pages: the run's early warning. */
export class ErrorRateWindow {
  private pages: Array<{ attempted: number; failed: number }> = [];

  constructor(private readonly settings: AttentionSettings) {}

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

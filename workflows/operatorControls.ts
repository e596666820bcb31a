import {
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { AlertActivities } from '../activities/alertActivities';
import { asRunFailure } from './activityFailures';
import { ErrorRateWindow, outageReason } from './attention';
import type { OperatorState } from '../src/shared/operatorState';
import { type AttentionSettings } from '../src/shared/attentionSettings';
import { ChangeGuardCount, type ChangeGuardSettings, type GuardedStep } from '../src/shared/changeGuard';
import type { FailuresReport } from '../src/shared/failuresReport';
import { failuresQuery, pauseSignal, progressQuery, resumeSignal, retryFailedSignal, skipFailedSignal } from '../src/shared/messages';
import {
  describeRequestIssues,
  retryFailedSchema,
  skipFailedSchema,
  type RetryFailedRequest,
  type SkipFailedRequest,
} from '../src/shared/operatorRequests';
import { integrationIdKey, syncDirectionKey, syncStatusKey } from '../src/shared/searchAttributes';
import type { SyncDirection, SyncProgress, SyncState } from '../src/shared/syncProgress';
import { failureTypes } from '../src/shared/failureTypes';
import { installOperatorUpdates } from './operatorUpdates';

/** What a workflow plugs into its operator controls. */
export interface ControlledRun {
  workflowType: string;
  integrationId: string;
  direction: SyncDirection;
  attention: AttentionSettings;
  progress: (state: SyncState) => SyncProgress;
  /** The step in flight, for the updates' answers ("batch 3"); by default the page after those done. */
  inFlight?: () => string;
  /** The operator state the previous run of this chain handed over at continue-as-new. */
  carried?: OperatorState;
  /**
   * The change guard (see changeGuard.ts); `windowMs` counts only the changes of that long before
   * now (the stream), otherwise the whole run.
   */
  guard?: ChangeGuardSettings & { windowMs?: number };
  /** Workflows that keep failed records answer the `failures` query and take retry / skip. */
  failures?: () => FailuresReport;
  retryFailed?: (request: RetryFailedRequest) => void;
  skipFailed?: (request: SkipFailedRequest) => void;
}

export interface OperatorControls {
  readonly state: SyncState;
  /** How often the run has been paused or stopped for attention: a page read before a hold may be stale after it. */
  readonly holds: number;
  setState(next: SyncState): void;
  /**
   * What a run that threw must throw on: continue-as-new passes through (the chain goes on, so it
   * is no failure); anything else marks the run Failed, with an activity's own reason.
   */
  failure(error: unknown): unknown;
  /** Returns at once while running; waits while an operator has the run paused. */
  waitWhilePaused(): Promise<void>;
  /**
   * Runs a step that talks to a system. When the system stays unavailable past the step's own
   * retries, the run stops hammering it: NeedsAttention, an alert, and the step runs again once an
   * operator sends `resume` or `retryFailed`. The step must be safe to run again (idempotent).
   */
  untilAvailable: <T>(what: string, step: () => Promise<T>) => Promise<T>;
  /** Stops for a person (see untilAvailable); ends the run as Failed when nobody answers in time. */
  needsAttention: (reason: string) => Promise<void>;
  /** Someone cancelled the run (UI or CLI): it ends after the batch in flight, with a summary. */
  readonly cancelRequested: boolean;
  /** Notes an operator request the run cannot carry out (log and `progress`). */
  refuse(message: string): void;
  /**
   * A page's writes for the error-rate window: `attempted` and `failed` count only records whose
   * failure would be news (a record that already failed in earlier runs failing again is no outage).
   * Crossing the threshold stops the run for an operator, with the last failure reason.
   */
  recordWrites(page: { attempted: number; failed: number; lastFailureReason?: string }): Promise<void>;
  /**
   * The change guard, before a step's writes: when the step's updates and archives would take the
   * run past the guard's share of the CRM, the run stops for an operator (NeedsAttention, alert);
   * `resume` or `retryFailed` is the go-ahead: the step is written and the count starts again after it.
   * Answers whether the step waited for that go-ahead.
   */
  admitChanges(step: Omit<GuardedStep, 'now'>): Promise<boolean>;
  /** What the next run of the chain must start from (see OperatorState). */
  carry(): OperatorState;
}

const alerts = proxyActivities<AlertActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 5 } });
const maxRefusedCommands = 10;

/**
 * The moves an operator has on every sync run, from the Temporal UI or `bridge`: pause (after the
 * batch in flight), resume, retryFailed, skipFailed, the progress and failures queries; the
 * NeedsAttention stop; and the search attributes that let the UI filter runs by integration,
 * direction and state.
 */
export function installOperatorControls(run: ControlledRun): OperatorControls {
  // Waits for an operator stay cancellable even inside a batch that must not be cut short.
  const rootScope = CancellationScope.current();
  let state: SyncState = run.carried?.state ?? 'Running';
  let attentionReason: string | undefined = run.carried?.attentionReason;
  let lastFailureReason: string | undefined = run.carried?.lastFailureReason;
  const errorRate = new ErrorRateWindow(run.attention, run.carried?.errorWindow);
  const guardCount = run.guard && new ChangeGuardCount(run.guard, run.guard.windowMs, run.carried?.guardCount);
  const refusedCommands: string[] = [];
  let holds = 0;
  const setState = (next: SyncState): void => {
    if (next === 'Paused' || next === 'NeedsAttention') holds += 1;
    state = next;
    upsertSearchAttributes([{ key: syncStatusKey, value: next }]);
  };

  /** Signals cannot answer their sender, so a bad payload is logged and shown in `progress`. */
  function refuse(message: string): void {
    log.warn(message, { integrationId: run.integrationId });
    refusedCommands.push(message);
    if (refusedCommands.length > maxRefusedCommands) refusedCommands.shift();
  }

  function validated<T>(name: string, schema: z.ZodType<T>, payload: unknown): T | undefined {
    if (!run.retryFailed) {
      refuse(`${name} refused: ${run.workflowType} keeps no failed-record list; its failed records are retried by the next scheduled run`);
      return undefined;
    }
    const parsed = schema.safeParse(payload ?? {});
    if (parsed.success) return parsed.data;
    refuse(`${name} refused: ${describeRequestIssues(parsed.error)}`);
    return undefined;
  }

  const resumeFromStop = () => {
    if (state === 'Paused' || state === 'NeedsAttention') setState('Running');
  };
  setHandler(pauseSignal, () => (state === 'Running' ? setState('Paused') : undefined), {
    description: 'Finish the batch in flight, then wait for resume.',
  });
  setHandler(resumeSignal, resumeFromStop, { description: 'Go on from where the run paused or stopped for attention.' });
  setHandler(
    retryFailedSignal,
    (payload) => {
      const request = validated('retryFailed', retryFailedSchema, payload);
      if (!request) return;
      run.retryFailed?.(request);
      if (state === 'NeedsAttention') setState('Running');
    },
    {
      description: 'Retry failed and parked records now: {} for all, {"ids": ["SKU-1"]} for some. Also resumes a run that needs attention.',
    },
  );
  setHandler(
    skipFailedSignal,
    (payload) => {
      const request = validated('skipFailed', skipFailedSchema, payload);
      if (request) run.skipFailed?.(request);
    },
    { description: 'Stop retrying failed records, with a reason kept for audit: {"reason": "..."} or {"ids": [...], "reason": "..."}.' },
  );
  setHandler(
    progressQuery,
    () => ({
      ...run.progress(state),
      ...(state === 'NeedsAttention' ? { attentionReason } : {}),
      ...(refusedCommands.length ? { refusedCommands: [...refusedCommands] } : {}),
    }),
    { description: 'State, counts, page, watermark, rate and time left.' },
  );
  // The same moves as updates, which answer their sender (the signals above stay for memo requests and older clients).
  installOperatorUpdates({
    ...run,
    state: () => state,
    setState,
    attentionReason: () => attentionReason,
    get cancelRequested() {
      return rootScope.consideredCancelled;
    },
    cancelAfterBatch: () => rootScope.cancel(),
  });
  if (run.failures) setHandler(failuresQuery, run.failures, { description: 'Failed, parked, skipped and rejected records with reasons.' });

  upsertSearchAttributes([
    { key: integrationIdKey, value: run.integrationId },
    { key: syncDirectionKey, value: run.direction },
    { key: syncStatusKey, value: state },
  ]);

  async function needsAttention(reason: string): Promise<void> {
    attentionReason = reason;
    setState('NeedsAttention');
    // Inside a workflow, Date is Temporal's deterministic clock.
    const waitsUntil = new Date(new Date().getTime() + run.attention.timeoutMs).toISOString();
    const { workflowId } = workflowInfo();
    log.error('sync needs attention', { integrationId: run.integrationId, reason });
    try {
      await alerts.alertOperators({ workflowType: run.workflowType, integrationId: run.integrationId, workflowId, reason, waitsUntil });
    } catch (error) {
      // A broken alert channel must not end the run; the error log above still tells.
      if (isCancellation(error)) throw error;
      log.warn('could not post the attention alert', { integrationId: run.integrationId, error: String(error) });
    }
    await awaitAnswer(reason);
  }

  /** Waits for resume or retryFailed while the run needs attention; Failed when nobody answers in time. */
  async function awaitAnswer(reason: string): Promise<void> {
    const answered = await rootScope.run(() => condition(() => state !== 'NeedsAttention', run.attention.timeoutMs));
    if (!answered) {
      throw asTimeoutFailure(reason, run.attention.timeoutMs);
    }
    attentionReason = undefined;
  }

  return {
    get state() {
      return state;
    },
    get holds() {
      return holds;
    },
    setState,
    failure: (error) => {
      if (error instanceof ContinueAsNew) return error;
      setState('Failed');
      return asRunFailure(error);
    },
    waitWhilePaused: async () => {
      // A run that continued as new while it needed attention (the alert went out then) keeps waiting.
      if (state === 'NeedsAttention') await awaitAnswer(attentionReason ?? 'carried over from the previous run');
      await condition(() => state !== 'Paused');
    },
    untilAvailable: async <T>(what: string, step: () => Promise<T>): Promise<T> => {
      for (;;) {
        try {
          return await step();
        } catch (error) {
          const reason = outageReason(error);
          if (reason === undefined) throw error;
          await needsAttention(`${what}: ${reason}`);
        }
      }
    },
    needsAttention,
    get cancelRequested() {
      return rootScope.consideredCancelled;
    },
    refuse,
    recordWrites: async (page) => {
      if (page.lastFailureReason !== undefined) lastFailureReason = page.lastFailureReason;
      errorRate.record(page.attempted, page.failed);
      const tooManyFailures = errorRate.exceeded();
      if (!tooManyFailures) return;
      await needsAttention(`${tooManyFailures}; last reason: ${lastFailureReason ?? 'none given'}`);
      errorRate.reset();
    },
    admitChanges: async (step) => {
      if (!guardCount) return false;
      // Inside a workflow, Date is Temporal's deterministic clock.
      const excess = guardCount.excess({ ...step, now: new Date().toISOString() });
      if (excess === undefined) {
        guardCount.record(step.changes, new Date().toISOString());
        return false;
      }
      // The go-ahead admits the step that stopped, and a fresh share after it.
      await needsAttention(excess);
      guardCount.reset();
      return true;
    },
    carry: () => ({
      state: state === 'Paused' || state === 'NeedsAttention' ? state : 'Running',
      ...(attentionReason !== undefined ? { attentionReason } : {}),
      ...(lastFailureReason !== undefined ? { lastFailureReason } : {}),
      errorWindow: errorRate.snapshot(),
      guardCount: guardCount?.snapshot() ?? [],
    }),
  };
}

function asTimeoutFailure(reason: string, timeoutMs: number): ApplicationFailure {
  const hours = Math.round((timeoutMs / 3_600_000) * 100) / 100;
  return ApplicationFailure.nonRetryable(
    `Nobody answered within ${hours} h (no resume or retryFailed) while the run needed attention: ${reason}. ` +
      'Nothing was lost: the next scheduled run starts again from the last verified watermark.',
    failureTypes.needsAttentionTimeout,
  );
}

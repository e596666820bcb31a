import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import type { z } from 'zod';
import type { FailuresReport } from '../src/shared/failuresReport';
import { cancelAfterBatchUpdate, pauseUpdate, resumeUpdate, retryFailedUpdate, skipFailedUpdate } from '../src/shared/messages';
import {
  describeRecords,
  describeRequestIssues,
  requestTargets,
  retryFailedSchema,
  skipFailedSchema,
  type RetryFailedRequest,
  type SkipFailedRequest,
} from '../src/shared/operatorRequests';
import type { SyncProgress, SyncState } from '../src/shared/syncProgress';

/** What the update handlers read and move: the run's operator state and its failed-record list. */
export interface UpdatableRun {
  workflowType: string;
  progress: (state: SyncState) => SyncProgress;
  /** The step in flight, for answers ("page 12", "batch 3"); by default the page after those done. */
  inFlight?: () => string;
  failures?: () => FailuresReport;
  retryFailed?: (request: RetryFailedRequest) => void;
  skipFailed?: (request: SkipFailedRequest) => void;
  state(): SyncState;
  setState(next: SyncState): void;
  attentionReason(): string | undefined;
  readonly cancelRequested: boolean;
  /** Ends the run after the batch in flight, as a cancel request does. */
  cancelAfterBatch(): void;
}

/** The type of failure a refused update carries to its caller (`bridge` exits non-zero on it). */
const updateRefusedType = 'OperatorUpdateRefused';

/**
 * pause, resume, retryFailed, skipFailed and cancelAfterBatch as Temporal updates. Each validator
 * runs on the run's current state, synchronously, and refuses with the reason what cannot apply,
 * so nothing of a refused update reaches the history; each handler answers what will happen.
 */
export function installOperatorUpdates(run: UpdatableRun): void {
  const inFlight = () => run.inFlight?.() ?? `page ${run.progress(run.state()).pages + 1}`;
  const refuse = (name: string, reason: string): never => {
    throw ApplicationFailure.nonRetryable(`${name} refused: ${reason}`, updateRefusedType);
  };
  /** Why the run cannot take a move now that needs it going (or stopped), if it cannot. */
  const ending = (name: string): void => {
    if (run.cancelRequested) refuse(name, `the run ends after ${inFlight()} (cancel requested)`);
    const state = run.state();
    if (state !== 'Running' && state !== 'Paused' && state !== 'NeedsAttention') refuse(name, `the run has ended (${state})`);
  };

  setHandler(
    pauseUpdate,
    () => {
      run.setState('Paused');
      return `pausing after ${inFlight()}: the batch in flight finishes first; send resume to go on`;
    },
    {
      validator: () => {
        ending('pause');
        const state = run.state();
        if (state === 'Paused') refuse('pause', `already paused (before ${inFlight()})`);
        if (state === 'NeedsAttention') {
          refuse(
            'pause',
            `the run is already stopped for attention (${run.attentionReason() ?? 'see progress'}); send resume or retryFailed`,
          );
        }
      },
      description: 'Finish the batch in flight, then wait for resume. Answers where the run will stop.',
    },
  );

  setHandler(
    resumeUpdate,
    () => {
      const answer =
        run.state() === 'NeedsAttention'
          ? `resuming: the step that stopped (${run.attentionReason() ?? 'see progress'}) runs again`
          : `resuming with ${inFlight()}`;
      run.setState('Running');
      return answer;
    },
    {
      validator: () => {
        ending('resume');
        const state = run.state();
        if (state !== 'Paused' && state !== 'NeedsAttention') refuse('resume', `not paused: the run is ${state}`);
      },
      description: 'Go on from where the run paused or stopped for attention. Refused when the run is not paused.',
    },
  );

  /** The request parsed and the records it acts on, or a refusal with the reason. */
  function checked<T extends { ids?: string[] }>(name: string, move: 'retry' | 'skip', schema: z.ZodType<T>, payload: unknown) {
    ending(name);
    if (!run.failures || !run.retryFailed || !run.skipFailed) {
      return refuse(name, `${run.workflowType} keeps no failed-record list; its failed records are retried by the next scheduled run`);
    }
    const parsed = schema.safeParse(payload ?? {});
    if (!parsed.success) return refuse(name, describeRequestIssues(parsed.error));
    const targets = requestTargets(move, parsed.data, run.failures());
    return { request: parsed.data, targets };
  }

  setHandler(
    retryFailedUpdate,
    (payload?: RetryFailedRequest) => {
      const { request, targets } = checked('retryFailed', 'retry', retryFailedSchema, payload);
      const resuming = run.state() === 'NeedsAttention';
      if (resuming) run.setState('Running');
      if (!targets.ids) return 'resuming: the step that stopped runs again (no failed records to retry)';
      run.retryFailed!(request);
      return `retrying ${describeRecords(targets.ids)} (after ${inFlight()}${resuming ? ', resuming the run' : ''})`;
    },
    {
      validator: (payload?: RetryFailedRequest) => {
        const { request, targets } = checked('retryFailed', 'retry', retryFailedSchema, payload);
        // Nothing to retry is still a way to resume a run that stopped for attention.
        const resumesOnly = run.state() === 'NeedsAttention' && !request.ids;
        if (targets.refused && !resumesOnly) refuse('retryFailed', targets.refused);
      },
      description:
        'Retry failed and parked records: {} for all, {"ids": ["SKU-1"]} for some. Also resumes a run that needs attention. ' +
        'Refused when nothing matches.',
    },
  );

  setHandler(
    skipFailedUpdate,
    (payload) => {
      const { request, targets } = checked('skipFailed', 'skip', skipFailedSchema, payload);
      run.skipFailed!(request);
      return `skipping ${describeRecords(targets.ids!)} (reason kept for audit: ${request.reason})`;
    },
    {
      validator: (payload) => {
        const { targets } = checked('skipFailed', 'skip', skipFailedSchema, payload);
        if (targets.refused) refuse('skipFailed', targets.refused);
      },
      description: 'Stop retrying failed records, with a reason kept for audit: {"reason": "..."} or {"ids": [...], "reason": "..."}.',
    },
  );

  setHandler(
    cancelAfterBatchUpdate,
    () => {
      const answer =
        run.state() === 'Running'
          ? `cancelling after ${inFlight()}: the batch in flight finishes, then the run ends with a summary`
          : `cancelling: the run is ${run.state()} and ends now with a summary`;
      run.cancelAfterBatch();
      return answer;
    },
    {
      validator: () => ending('cancelAfterBatch'),
      description: 'End the run after the batch in flight, with a summary; the next scheduled run goes on from its watermark.',
    },
  );
}

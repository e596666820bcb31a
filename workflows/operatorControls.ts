import { ContinueAsNew, condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { asRunFailure } from './activityFailures';
import { pauseSignal, progressQuery, resumeSignal } from './messages';
import { integrationIdKey, syncDirectionKey, syncStatusKey } from './searchAttributes';
import type { SyncProgress, SyncState } from './syncProgress';

export type SyncDirection = 'PmsToCrm' | 'CrmToPms';

export interface OperatorControls {
  readonly state: SyncState;
  setState(next: SyncState): void;
  /**
   * What a run that threw must throw on: continue-as-new passes through (the chain goes on, so it
   * is no failure); anything else marks the run Failed, with an activity's own reason.
   */
  failure(error: unknown): unknown;
  /** Returns at once while running; waits while an operator has the run paused. */
  waitWhilePaused(): Promise<void>;
}

/**
 * The moves an operator has on every sync run, from the Temporal UI or `bridge`: pause (after the
 * page in flight), resume, and the progress query; and the search attributes that let the UI
 * filter runs by integration, direction and state.
 */
export function installOperatorControls(
  integrationId: string,
  direction: SyncDirection,
  progress: (state: SyncState) => SyncProgress,
): OperatorControls {
  let state: SyncState = 'Running';
  const setState = (next: SyncState): void => {
    state = next;
    upsertSearchAttributes([{ key: syncStatusKey, value: next }]);
  };
  setHandler(pauseSignal, () => setState('Paused'), { description: 'Finish the page in flight, then wait for resume.' });
  setHandler(resumeSignal, () => (state === 'Paused' ? setState('Running') : undefined), {
    description: 'Go on from where the run paused.',
  });
  setHandler(progressQuery, () => progress(state), {
    description: 'Counts so far, the current cursor, the watermark and the state.',
  });
  upsertSearchAttributes([
    { key: integrationIdKey, value: integrationId },
    { key: syncDirectionKey, value: direction },
    { key: syncStatusKey, value: 'Running' },
  ]);
  return {
    get state() {
      return state;
    },
    setState,
    failure: (error) => {
      if (error instanceof ContinueAsNew) return error;
      setState('Failed');
      return asRunFailure(error);
    },
    waitWhilePaused: () => condition(() => state !== 'Paused'),
  };
}

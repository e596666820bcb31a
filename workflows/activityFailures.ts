import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/**
 * An activity that failed for good ends the run with the activity's own reason ("CRM rejected the
 * bridge's credentials ..."), not the SDK's generic "Activity task failed".
 */
export function asRunFailure(error: unknown): unknown {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: error.cause.message,
      type: error.cause.type ?? undefined,
      nonRetryable: true,
      cause: error,
    });
  }
  return error;
}

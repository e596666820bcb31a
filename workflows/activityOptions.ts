import type { ActivityOptions } from '@temporalio/workflow';
import { nonRetryableFailureTypes } from '../src/shared/failureTypes';

/**
 * Timeouts and retries for a sync's activities: exponential backoff for outages, the server's
 * Retry-After for rate limits (the activity sets nextRetryDelay), no retry for what cannot heal.
 */
export function syncActivityOptions(settings: {
  heartbeatTimeoutMs: number;
  retry: { initialIntervalMs: number; maximumIntervalMs: number; maximumAttempts: number };
}): ActivityOptions {
  return {
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: settings.heartbeatTimeoutMs,
    retry: {
      initialInterval: settings.retry.initialIntervalMs,
      maximumInterval: settings.retry.maximumIntervalMs,
      backoffCoefficient: 2,
      maximumAttempts: settings.retry.maximumAttempts,
      nonRetryableErrorTypes: nonRetryableFailureTypes,
    },
  };
}

import { ApplicationFailure } from '@temporalio/activity';
import { RateLimitedError, SystemError } from '../src/connectors/errors';

/**
 * Turns a connector error into the Temporal failure that carries the right retry decision: a rate
 * limit retries after the delay the system asked for, credentials and bad requests do not retry,
 * everything else follows the activity's retry policy.
 */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof RateLimitedError) {
    return ApplicationFailure.create({
      type: error.name,
      message: error.message,
      nextRetryDelay: error.retryAfterMs,
    });
  }
  if (error instanceof SystemError) {
    return ApplicationFailure.create({ type: error.name, message: error.message, nonRetryable: !error.retryable });
  }
  return error;
}

/** Runs an activity body and rethrows its error as the matching Temporal failure. */
export async function withFailureMapping<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw toActivityFailure(error);
  }
}

import { ApplicationFailure, Context } from '@temporalio/activity';
import { RateLimitedError, SystemError } from '../src/shared/systemErrors';

/**
 * Turns a connector error into the Temporal failure that carries the right retry decision: a rate
 * limit retries after the delay the system asked for, credentials and bad requests do not retry,
 * everything else follows the activity's retry policy.
 */
function toActivityFailure(error: unknown): unknown {
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

/** Often enough for the shortest heartbeat timeout the workflows allow (1 s is the minimum). */
const heartbeatEveryMs = 500;

/**
 * Runs an activity body, heartbeating while it runs (a slow answer from a system is not a dead
 * worker; the SDK throttles what it sends), and rethrows its error as the matching Temporal failure.
 */
export async function withFailureMapping<T>(body: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(), heartbeatEveryMs);
  try {
    return await body();
  } catch (error) {
    throw toActivityFailure(error);
  } finally {
    clearInterval(timer);
  }
}

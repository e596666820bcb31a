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
 * The one way an activity heartbeats. Temporal keeps only the details of the LAST heartbeat of a
 * failed attempt and hands them to the next attempt, so every heartbeat, the keep-alive included,
 * repeats the activity's latest checkpoint: a beat without details would erase it.
 */
export interface ActivityHeartbeat {
  /** Records how far the activity got; a retried attempt reads it from `info.heartbeatDetails`. */
  checkpoint(details: unknown): void;
  /** Says the activity is alive (a slow system is not a dead worker), repeating the latest checkpoint. */
  alive(): void;
}

/**
 * Runs an activity body, heartbeating while it runs (the SDK throttles what it sends), and
 * rethrows its error as the matching Temporal failure. The checkpoint starts as the one the last
 * attempt left, so an attempt that fails before its own first checkpoint does not erase it.
 */
export async function withFailureMapping<T>(body: (heartbeat: ActivityHeartbeat) => Promise<T>): Promise<T> {
  const context = Context.current();
  let latest: unknown = context.info.heartbeatDetails;
  const alive = (): void => (latest === undefined ? context.heartbeat() : context.heartbeat(latest));
  const heartbeat: ActivityHeartbeat = {
    checkpoint: (details) => {
      latest = details;
      alive();
    },
    alive,
  };
  const timer = setInterval(alive, heartbeatEveryMs);
  try {
    return await body(heartbeat);
  } catch (error) {
    throw toActivityFailure(error);
  } finally {
    clearInterval(timer);
  }
}

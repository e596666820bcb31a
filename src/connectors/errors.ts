/**
 * What can go wrong when talking to a system, in the terms an operator acts on. Activities turn
 * these into Temporal failures (retryable or not); connectors never retry on their own, so
 * Temporal's retry policy is the only one.
 */
export abstract class SystemError extends Error {
  abstract readonly retryable: boolean;
  constructor(
    readonly system: string,
    message: string,
  ) {
    super(message);
  }
}

/** Network failure, timeout or 5xx: try again later. */
export class SystemUnavailableError extends SystemError {
  override readonly name = 'SystemUnavailable';
  readonly retryable = true;
}

/** 429 (or a vendor's equivalent): try again after the delay the system asked for. */
export class RateLimitedError extends SystemError {
  override readonly name = 'RateLimited';
  readonly retryable = true;
  constructor(
    system: string,
    readonly retryAfterMs: number,
    message: string,
  ) {
    super(system, message);
  }
}

/** 401/403: retrying cannot help until someone fixes the credentials. */
export class AuthenticationError extends SystemError {
  override readonly name = 'AuthenticationFailed';
  readonly retryable = false;
}

/** A 4xx other than the above: the request itself is wrong, so the same request will fail again. */
export class RequestRejectedError extends SystemError {
  override readonly name = 'RequestRejected';
  readonly retryable = false;
  constructor(
    system: string,
    readonly status: number,
    message: string,
  ) {
    super(system, message);
  }
}

/**
 * The system refused a whole batch because of the records in it (one invalid row fails the batch
 * in most CRMs) or its size. The caller splits the batch to find the records at fault.
 */
export class BatchRejectedError extends SystemError {
  override readonly name = 'BatchRejected';
  readonly retryable = false;
  constructor(
    system: string,
    readonly reason: 'invalid-record' | 'too-large',
    message: string,
  ) {
    super(system, message);
  }
}

/** 409: the record changed since it was read; read it again and decide again. */
export class ConflictError extends SystemError {
  override readonly name = 'Conflict';
  readonly retryable = true;
}

/** The answer did not have the documented shape: never act on half-understood data. */
export class InvalidResponseError extends SystemError {
  override readonly name = 'InvalidResponse';
  readonly retryable = true;
}

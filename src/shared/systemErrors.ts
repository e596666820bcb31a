/**
 * What can go wrong when talking to a system, in the terms an operator acts on. Activities turn
 * these into Temporal failures whose type is the class's `failureType` and whose retry decision is
 * the class's `retryable`; connectors never retry on their own, so Temporal's retry policy is the
 * only one. Workflows read the same classes (see failureTypes.ts), so the two cannot drift apart.
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
  static readonly failureType = 'SystemUnavailable';
  static readonly retryable = true;
  /** The system cannot be used right now: a run stops for an operator once retries are used up. */
  static readonly outage = true;
  override readonly name = SystemUnavailableError.failureType;
  readonly retryable = SystemUnavailableError.retryable;
}

/** 429 (or a vendor's equivalent): try again after the delay the system asked for. */
export class RateLimitedError extends SystemError {
  static readonly failureType = 'RateLimited';
  static readonly retryable = true;
  static readonly outage = true;
  override readonly name = RateLimitedError.failureType;
  readonly retryable = RateLimitedError.retryable;
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
  static readonly failureType = 'AuthenticationFailed';
  static readonly retryable = false;
  static readonly outage = false;
  override readonly name = AuthenticationError.failureType;
  readonly retryable = AuthenticationError.retryable;
}

/** A 4xx other than the above: the request itself is wrong, so the same request will fail again. */
export class RequestRejectedError extends SystemError {
  static readonly failureType = 'RequestRejected';
  static readonly retryable = false;
  static readonly outage = false;
  override readonly name = RequestRejectedError.failureType;
  readonly retryable = RequestRejectedError.retryable;
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
  static readonly failureType = 'BatchRejected';
  static readonly retryable = false;
  static readonly outage = false;
  override readonly name = BatchRejectedError.failureType;
  readonly retryable = BatchRejectedError.retryable;
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
  static readonly failureType = 'Conflict';
  static readonly retryable = true;
  static readonly outage = false;
  override readonly name = ConflictError.failureType;
  readonly retryable = ConflictError.retryable;
}

/** The answer did not have the documented shape: never act on half-understood data. */
export class InvalidResponseError extends SystemError {
  static readonly failureType = 'InvalidResponse';
  static readonly retryable = true;
  static readonly outage = true;
  override readonly name = InvalidResponseError.failureType;
  readonly retryable = InvalidResponseError.retryable;
}

/** Every kind of system error, for the lists workflows derive from them. */
export const systemErrorClasses = [
  SystemUnavailableError,
  RateLimitedError,
  AuthenticationError,
  RequestRejectedError,
  BatchRejectedError,
  ConflictError,
  InvalidResponseError,
] as const;

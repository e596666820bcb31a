import { systemErrorClasses } from './systemErrors';

/**
 * The failure types a run can meet, by name. What a system error is (retryable, an outage) is
 * said once, on its class in systemErrors.ts; the lists here are derived from those classes.
 */
export const failureTypes = {
  /** An activity was asked for an integration this worker has no configuration for. */
  unknownIntegration: 'UnknownIntegration',
  /** The sync's mode needs something the target cannot do (mirror mode needs archiving). */
  unsupportedMode: 'UnsupportedMode',
  invalidWorkflowInput: 'InvalidWorkflowInput',
  needsAttentionTimeout: 'NeedsAttentionTimeout',
  alertWebhookUnavailable: 'AlertWebhookUnavailable',
  /** This worker maps with another field mapping than the run plans under (a rolling deploy): another worker takes the retry. */
  mappingVersionMismatch: 'MappingVersionMismatch',
} as const;

/** Failure types that no retry can fix: the run reports them at once. */
export const nonRetryableFailureTypes: string[] = [
  ...systemErrorClasses.filter((errorClass) => !errorClass.retryable).map((errorClass) => errorClass.failureType),
  failureTypes.unknownIntegration,
  failureTypes.unsupportedMode,
];

/** Failure types that mean "this system cannot be used right now", as opposed to a bug or bad credentials. */
export const outageFailureTypes: ReadonlySet<string> = new Set(
  systemErrorClasses.filter((errorClass) => errorClass.outage).map((errorClass) => errorClass.failureType),
);

import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from '../src/logging/logger';
import { failureTypes } from '../src/shared/failureTypes';

/** A logger whose every line names the integration, workflow, run, activity and attempt. */
export function activityLogger(logger: Logger, integrationId: string): Logger {
  const { workflowExecution, activityType, attempt } = Context.current().info;
  return logger.child({
    integrationId,
    workflowId: workflowExecution?.workflowId,
    runId: workflowExecution?.runId,
    activity: activityType,
    attempt,
  });
}

/** The integration's connectors, or a non-retryable failure an operator can act on. */
export function requireIntegration<T>(lookup: (id: string) => T | undefined, integrationId: string, kind: string): T {
  const integration = lookup(integrationId);
  if (integration) return integration;
  throw ApplicationFailure.create({
    type: failureTypes.unknownIntegration,
    message: `No ${kind} integration '${integrationId}' is configured on this worker; check the integrationId in the workflow input against the bridge configuration.`,
    nonRetryable: true,
  });
}

import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from '../src/logging/logger';
import type { AttentionAlert } from '../src/shared/attentionSettings';
import { failureTypes } from '../src/shared/failureTypes';

export interface AlertDeps {
  /** Slack-compatible incoming webhook; none configured means the error log is the only alert. */
  webhookUrl?: string;
  logger: Logger;
  /** Link to a run in the Temporal Web UI, when the UI's address is known. */
  runUrl?: (workflowId: string, runId: string) => string;
}

const timeoutMs = 10_000;

/** The text a person reads in the chat channel: what is wrong, where, and what to do. */
function alertText(alert: AttentionAlert, link?: string): string {
  return [
    `:warning: crm-pms-bridge: ${alert.workflowType} '${alert.integrationId}' needs attention.`,
    `Reason: ${alert.reason}`,
    `Workflow ${alert.workflowId}${link ? ` (${link})` : ''} waits for \`resume\` or \`retryFailed\` until ${alert.waitsUntil}, then ends as Failed.`,
  ].join('\n');
}

export function createAlertActivities(deps: AlertDeps) {
  return {
    /**
     * Tells operators a run stopped to wait for them, through the configured webhook (the workflow
     * has already logged it at error level). A webhook that fails is retried like any activity.
     */
    async alertOperators(alert: AttentionAlert): Promise<'posted' | 'logged'> {
      const runId = Context.current().info.workflowExecution?.runId ?? '';
      const log = deps.logger.child({ integrationId: alert.integrationId, workflowId: alert.workflowId, runId });
      if (!deps.webhookUrl) {
        log.info('no alert webhook configured; the error log is the alert');
        return 'logged';
      }
      let response: Response;
      try {
        response = await fetch(deps.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: alertText(alert, deps.runUrl?.(alert.workflowId, runId)) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        // The URL is a secret (it carries the webhook's token): name the host only.
        throw ApplicationFailure.retryable(
          `The alert webhook at ${new URL(deps.webhookUrl).host} could not be reached: ${(error as Error).message}`,
          failureTypes.alertWebhookUnavailable,
        );
      }
      if (!response.ok) {
        throw ApplicationFailure.retryable(
          `The alert webhook at ${new URL(deps.webhookUrl).host} answered ${response.status}.`,
          failureTypes.alertWebhookUnavailable,
        );
      }
      log.info({ waitsUntil: alert.waitsUntil }, 'attention alert posted');
      return 'posted';
    },
  };
}

export type AlertActivities = ReturnType<typeof createAlertActivities>;

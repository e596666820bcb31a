import {
  ContinueAsNew,
  metricMeter,
  type Next,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import type { RunFacts } from '../src/shared/runFacts';

/**
 * Reports each finished sync run on the worker's metrics endpoint: its duration (across every
 * continue-as-new of the run) and its outcome, per integration. Workflow metrics are not emitted
 * while a history is replayed, so a run is counted once.
 */
class RunMetricsInterceptor implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      const result = await next(input);
      if (isRunFacts(result)) {
        const tags = { integration: result.integrationId, status: result.status };
        metricMeter
          .createHistogram('bridge_sync_run_duration', 'int', 'ms', 'Duration of a finished sync run')
          .record(result.durationMs, tags);
        runs().add(1, tags);
      }
      return result;
    } catch (error) {
      if (!(error instanceof ContinueAsNew)) runs().add(1, { status: 'Failed' });
      throw error;
    }
  }
}

const runs = () => metricMeter.createCounter('bridge_sync_runs', 'runs', 'Sync runs that ended, by outcome');

function isRunFacts(value: unknown): value is RunFacts {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as RunFacts).durationMs === 'number' &&
    typeof (value as RunFacts).integrationId === 'string'
  );
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new RunMetricsInterceptor()] });

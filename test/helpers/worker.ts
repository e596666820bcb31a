import type { Client } from '@temporalio/client';
import type { WorkflowResultType } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { BridgeConfig } from '../../src/config/configSchema';
import { createLogger } from '../../src/logging/logger';
import { createBridgeWorker } from '../../src/temporal/worker';
import type { ProductSyncInput, ProductSyncSummary } from '../../src/shared/productSyncContract';
import { workflowBundle } from './temporalServer';
import { productSync } from '../../workflows/productSync';

let counter = 0;
/** A task queue of its own per test, so workers of different tests never take each other's tasks. */
export const uniqueTaskQueue = (name: string): string => `test-${name}-${process.pid}-${++counter}`;

export async function createTestWorker(env: TestWorkflowEnvironment, config: BridgeConfig): Promise<Worker> {
  return createBridgeWorker({
    config,
    connection: env.nativeConnection,
    logger: createLogger('test-worker', { level: process.env.LOG_LEVEL ?? 'warn' }),
    workflowBundle: await workflowBundle(),
  });
}

export async function startProductSync(
  client: Client,
  config: BridgeConfig,
  input: ProductSyncInput,
  workflowId = `product-sync-test-${++counter}`,
) {
  return client.workflow.start(productSync, { taskQueue: config.temporal.taskQueue, workflowId, args: [input] });
}

/** A workflow that takes one input object, every field optional, as every bridge workflow does. */
type SyncWorkflow = (input?: Record<string, unknown>) => Promise<unknown>;

/** Runs one workflow to completion on a worker of the given configuration. */
export async function runWorkflow<W extends SyncWorkflow>(
  env: TestWorkflowEnvironment,
  config: BridgeConfig,
  workflow: W,
  input: Parameters<W>[0] = {},
): Promise<WorkflowResultType<W>> {
  const worker = await createTestWorker(env, config);
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start<SyncWorkflow>(workflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId: `${workflow.name}-test-${++counter}`,
      args: [input],
    });
    return (await handle.result()) as WorkflowResultType<W>;
  });
}

/** Runs one productSync to completion on a worker of the given configuration. */
export async function runProductSync(
  env: TestWorkflowEnvironment,
  config: BridgeConfig,
  input: ProductSyncInput = {},
): Promise<ProductSyncSummary> {
  const worker = await createTestWorker(env, config);
  return worker.runUntil(async () => {
    const handle = await startProductSync(env.client, config, input);
    return await handle.result();
  });
}

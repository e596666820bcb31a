import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createAlertActivities } from '../../activities/alertActivities';
import { createDemandActivities } from '../../activities/demandMappingActivities';
import { createProductSyncActivities } from '../../activities/productSyncActivities';
import type { BridgeConfig } from '../config/configSchema';
import { buildIntegrations } from '../integrations';
import { temporalConnectionOptions } from './connectionOptions';
import type { Logger } from '../logging/logger';

export const workflowsPath = require.resolve('../../workflows');

export interface BridgeWorkerOptions {
  config: BridgeConfig;
  connection: NativeConnection;
  logger: Logger;
  /** A prebuilt bundle (tests build one and share it); otherwise the worker bundles workflows/. */
  workflowBundle?: WorkflowBundleOption;
  /** Tests point one worker at their own task queue. */
  taskQueue?: string;
  /** The payload codec (encryption) clients use too; none means payloads travel unencrypted. */
  dataConverter?: DataConverter;
}

/** A worker that runs every bridge workflow and their activities, wired to the configured systems. */
export async function createBridgeWorker(options: BridgeWorkerOptions): Promise<Worker> {
  const { config, connection, logger } = options;
  const integrations = buildIntegrations(config);
  const activityLogger = logger.child({ component: 'activities' });
  const activities = {
    ...createProductSyncActivities({ integration: (id) => integrations.products.get(id), logger: activityLogger }),
    ...createDemandActivities({ integration: (id) => integrations.demands.get(id), logger: activityLogger }),
    ...createAlertActivities({
      webhookUrl: config.alerts.webhookUrl,
      logger: activityLogger,
      runUrl: config.alerts.uiUrl
        ? (workflowId, runId) => new URL(`namespaces/${config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}/${runId}`, `${config.alerts.uiUrl!.replace(/\/$/, '')}/`).toString()
        : undefined,
    }),
  };
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue ?? config.temporal.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities,
    dataConverter: options.dataConverter,
    // Let in-flight activities finish (or heartbeat their progress) on Ctrl-C / SIGTERM.
    shutdownGraceTime: '20 seconds',
  });
}

/** The worker's own connection, with the same TLS and API key settings as clients. */
export function connectWorkerToTemporal(config: BridgeConfig, address: string): Promise<NativeConnection> {
  return NativeConnection.connect(temporalConnectionOptions(config, address));
}

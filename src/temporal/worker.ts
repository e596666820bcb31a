import type { DataConverter } from '@temporalio/common';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import { NativeConnection, Runtime, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createAlertActivities } from '../../activities/alertActivities';
import type { DemandDeps } from '../../activities/demandActivityContext';
import { createDemandLinkActivities } from '../../activities/demandLinkActivities';
import { createDemandMappingActivities } from '../../activities/demandMappingActivities';
import { createDemandStatusActivities } from '../../activities/demandStatusActivities';
import { createProductSyncActivities } from '../../activities/productSyncActivities';
import type { BridgeConfig } from '../config/configSchema';
import { buildIntegrations } from '../integrations';
import { temporalConnectionOptions } from './connectionOptions';
import type { Logger } from '../logging/logger';
import { createSyncMetrics } from '../metrics/syncMetrics';
import { startTracing } from './tracing';
import { workerVersion } from './workerBuildId';
import { bundleWorkflowsApart } from './workflowBundle';

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
  const taskQueue = options.taskQueue ?? config.temporal.taskQueue;
  // Temporal's meter: the bridge's counters share the SDK's Prometheus endpoint (a no-op without one).
  const metrics = createSyncMetrics(Runtime.instance().metricMeter.withTags({ namespace: config.temporal.namespace, taskQueue }));
  const integrations = buildIntegrations(config, { metrics });
  for (const sync of config.demandSyncs) {
    if (sync.matcher.legacyThreshold)
      logger.info(
        { demandSync: sync.id, autoLinkAt: sync.matcher.autoLinkAt, suggestAt: sync.matcher.suggestAt },
        'matcher.threshold is the legacy name of matcher.autoLinkAt and is read as it; rename it to autoLinkAt (suggestAt sets where suggestions start)',
      );
  }
  const activityLogger = logger.child({ component: 'activities' });
  const demandDeps: DemandDeps = { integration: (id) => integrations.demands.get(id), logger: activityLogger, metrics };
  const activities = {
    ...createProductSyncActivities({ integration: (id) => integrations.products.get(id), logger: activityLogger, metrics }),
    ...createDemandMappingActivities(demandDeps),
    ...createDemandLinkActivities(demandDeps),
    ...createDemandStatusActivities(demandDeps),
    ...createAlertActivities({
      webhookUrl: config.alerts.webhookUrl,
      logger: activityLogger,
      runUrl: config.alerts.uiUrl
        ? (workflowId, runId) =>
            new URL(
              `namespaces/${config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}/${runId}`,
              `${config.alerts.uiUrl!.replace(/\/$/, '')}/`,
            ).toString()
        : undefined,
    }),
  };
  const tracing = startTracing(config);
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    // Bundled in a child process (see bundleWorkflowsApart), so webpack's memory leaves with it.
    workflowBundle: options.workflowBundle ?? (await bundleWorkflowsApart()),
    activities,
    // The activity joins the trace its workflow passed in the headers; HTTP calls nest under it.
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    // Workflow spans leave the sandbox through this sink (dropped when tracing is off).
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
    dataConverter: options.dataConverter,
    ...concurrencyOptions(config.worker),
    ...deploymentOptions(config.worker),
    // Let in-flight activities finish (or heartbeat their progress) on Ctrl-C / SIGTERM; past the
    // grace time they are cancelled, and the force time bounds the whole shutdown.
    shutdownGraceTime: config.worker.shutdownGraceMs,
    shutdownForceTime: config.worker.shutdownGraceMs + shutdownForceMarginMs,
  });
}

/**
 * Worker Versioning. Every bridge workflow auto-upgrades: a run moves to the current version at its
 * next workflow task, so an old build can be stopped as soon as the new one is current, and a
 * rollback moves runs back just as fast. Why none is pinned (docs/operating.md): the change stream
 * never ends and the syncs continue as new, so pinned runs would keep old builds alive for good;
 * code changes stay replay-safe with patched(), which the replay fixtures enforce.
 */
function deploymentOptions(worker: BridgeConfig['worker']) {
  if (worker.versioning === 'off') return {};
  return {
    workerDeploymentOptions: {
      version: workerVersion(worker),
      useWorkerVersioning: true as const,
      defaultVersioningBehavior: 'AUTO_UPGRADE' as const,
    },
  };
}

/** Time after the grace time for cancelled activities to report back before the worker gives up. */
const shutdownForceMarginMs = 5_000;

/** Slots and rates from the configuration (docs/production.md, "Scaling"). */
function concurrencyOptions(worker: BridgeConfig['worker']) {
  return {
    maxConcurrentActivityTaskExecutions: worker.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: worker.maxConcurrentWorkflowTasks,
    ...(worker.maxActivitiesPerSecond ? { maxActivitiesPerSecond: worker.maxActivitiesPerSecond } : {}),
    ...(worker.maxTaskQueueActivitiesPerSecond ? { maxTaskQueueActivitiesPerSecond: worker.maxTaskQueueActivitiesPerSecond } : {}),
  };
}

/** The worker's own connection, with the same TLS and API key settings as clients. */
export function connectWorkerToTemporal(config: BridgeConfig, address: string): Promise<NativeConnection> {
  return NativeConnection.connect(temporalConnectionOptions(config, address));
}

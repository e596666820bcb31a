import type { BridgeConfig } from '../config/configSchema';
import type { Logger } from '../logging/logger';
import { encryptingDataConverter, keyringForWriter } from '../security/payloadEncryption';
import { temporalAddress } from './clientConnection';
import { installRuntimeLogging } from './runtimeLogging';
import { startTracing, stopTracing } from './tracing';
import { workerVersion } from './workerBuildId';
import { connectWorkerToTemporal, createBridgeWorker } from './worker';
import { createWorkerHealthServer } from './workerHealth';

/**
 * One `bridge worker` process: metrics and health endpoints when configured, the worker on the
 * configured task queue, until SIGINT/SIGTERM. The SDK then stops polling, lets running
 * activities finish for `worker.shutdownGraceMs` (cancelling them after), and run() returns.
 */
export async function runWorkerProcess(config: BridgeConfig, logger: Logger): Promise<void> {
  const { metricsPort, healthPort, listenHost } = config.worker;
  // Before anything connects: a worker without keys must not start at all.
  const keyring = keyringForWriter(config, 'bridge worker');
  installRuntimeLogging(logger, 'INFO', metricsPort ? { prometheusBindAddress: `${listenHost}:${metricsPort}` } : {});
  const tracing = startTracing(config);
  const address = temporalAddress(config);
  const connection = await connectWorkerToTemporal(config, address);
  const worker = await createBridgeWorker({ config, connection, logger, dataConverter: encryptingDataConverter(keyring) });
  const health = healthPort ? createWorkerHealthServer({ workerState: () => worker.getState(), connection }) : undefined;
  try {
    const running = worker.run();
    if (health) await health.listen({ port: healthPort, host: listenHost });
    logger.info(
      {
        taskQueue: config.temporal.taskQueue,
        address,
        encryptionKeyId: keyring?.activeKeyId ?? 'off (security.encryption: off)',
        metrics: metricsPort ? `http://${listenHost}:${metricsPort}/metrics` : null,
        health: healthPort ? `http://${listenHost}:${healthPort}/healthz` : null,
        maxConcurrentActivities: config.worker.maxConcurrentActivities,
        maxConcurrentWorkflowTasks: config.worker.maxConcurrentWorkflowTasks,
        traces: tracing.tracesUrl ?? 'off (no OTLP endpoint configured)',
        versioning:
          config.worker.versioning === 'on'
            ? workerVersion(config.worker)
            : 'off (unversioned worker; worker.versioning / BRIDGE_WORKER_VERSIONING)',
      },
      'worker started',
    );
    await running;
    logger.info('worker stopped');
  } finally {
    await health?.close();
    await connection.close();
    await stopTracing();
  }
}

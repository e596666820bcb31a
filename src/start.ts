import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import pino from 'pino';
import type { ProductSyncSummary } from '../workflows/productSyncTypes';
import { ConfigError, loadConfig } from './config/loadConfig';
import { createLogger } from './logging/logger';
import { startSandboxSystems } from './sandbox/sandboxSystems';
import { connectClient } from './temporal/clientConnection';
import { startDevServer } from './temporal/devServer';
import { productSyncScheduleId } from './temporal/productSyncStart';
import { installRuntimeLogging } from './temporal/runtimeLogging';
import { ensureProductSyncSchedule, triggerSchedule } from './temporal/schedules';
import { ensureTemporalCli } from './temporal/temporalCli';
import { createBridgeWorker } from './temporal/worker';

const say = (line = ''): void => void process.stdout.write(`${line}\n`);

/** Undo steps, run in reverse order on Ctrl-C or after a start-up failure. */
const shutdownSteps: Array<{ name: string; run: () => Promise<void> }> = [];

async function shutdown(): Promise<void> {
  for (const step of shutdownSteps.reverse()) {
    try {
      await step.run();
    } catch (error) {
      process.stderr.write(`Stopping ${step.name} failed: ${(error as Error).message}\n`);
    }
  }
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

function printSummary(summary: ProductSyncSummary): void {
  const c = summary.counts;
  say(`First productSync run (${summary.integrationId}) ${summary.status} in ${(summary.durationMs / 1000).toFixed(1)} s:`);
  say(`  fetched ${c.fetched}, created ${c.created}, updated ${c.updated}, archived ${c.archived}, unchanged ${c.unchanged}, skipped ${c.skipped}, rejected ${c.rejected}, failed ${c.failed}`);
  for (const issue of [...summary.rejected.slice(0, 5), ...summary.failed.slice(0, 5)]) say(`  - ${issue.id}: ${issue.reason}`);
  say(`  watermark: ${summary.watermark ? `${summary.watermark.since} / ${summary.watermark.afterId}` : 'none'}`);
}

/**
 * `npm start`: the whole product on one machine. A local Temporal dev server (unless
 * TEMPORAL_ADDRESS is set), the sandbox PMS and CRM, a worker, a schedule per product sync that runs
 * every minute, and an immediate first run whose summary is printed.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  mkdirSync(config.dataDir, { recursive: true });
  const logFile = path.join(config.dataDir, 'bridge.log');
  const logger = createLogger('bridge', { level: config.logLevel, destination: pino.destination({ dest: logFile, sync: false }) });
  installRuntimeLogging(logger);
  say(`crm-pms-bridge starting (logs: ${logFile})`);

  let address = config.temporal.address;
  let uiUrl = 'your Temporal server\'s Web UI';
  if (!address) {
    const cli = await ensureTemporalCli({ log: (line) => say(line) });
    const devServer = await startDevServer({
      cliPath: cli.path,
      dataDir: config.dataDir,
      port: config.temporal.devServer.port,
      uiPort: config.temporal.devServer.uiPort,
      namespace: config.temporal.namespace,
      logger,
    });
    shutdownSteps.push({ name: 'the Temporal dev server', run: devServer.stop });
    address = devServer.address;
    uiUrl = devServer.uiUrl;
  }

  if (config.sandbox.enabled) {
    const sandbox = await startSandboxSystems(config, logger);
    shutdownSteps.push({ name: 'the sandbox systems', run: sandbox.close });
    say(`Sandbox PMS: ${sandbox.pmsUrl}/openapi.json   Sandbox CRM: ${sandbox.crmUrl}/openapi.json`);
  }

  const connection = await NativeConnection.connect({ address });
  shutdownSteps.push({ name: 'the worker connection', run: () => connection.close() });
  const worker = await createBridgeWorker({ config, connection, logger });
  const workerDone = worker.run();
  shutdownSteps.push({
    name: 'the worker',
    run: async () => {
      // On Ctrl-C the SDK has already begun a graceful shutdown; otherwise start one.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerDone;
    },
  });

  const client = await connectClient(config, address);
  shutdownSteps.push({ name: 'the client connection', run: () => client.connection.close() });
  for (const sync of config.productSyncs) {
    const change = await ensureProductSyncSchedule(client, sync, config.temporal.taskQueue);
    say(`Schedule ${productSyncScheduleId(sync.id)} ${change}: every ${sync.schedule.every}${sync.schedule.paused ? ' (paused)' : ''}`);
  }
  say(`Temporal ${address} (namespace ${config.temporal.namespace}); Web UI: ${uiUrl}`);

  const first = config.productSyncs[0]!;
  const workflowId = await triggerSchedule(client, productSyncScheduleId(first.id));
  say(`Started ${workflowId}; waiting for its summary...`);
  const summary = await Promise.race([
    client.workflow.getHandle(workflowId).result() as Promise<ProductSyncSummary>,
    untilSignal().then(() => undefined),
  ]);
  if (summary) {
    printSummary(summary);
    say('Running. The schedule syncs every minute; press Ctrl-C to stop.');
    await untilSignal();
  }
  say('Stopping...');
}

main()
  .catch((error: unknown) => {
    process.exitCode = error instanceof ConfigError ? 2 : 1;
    process.stderr.write(`${error instanceof ConfigError ? '' : 'crm-pms-bridge could not start: '}${(error as Error).message}\n`);
  })
  .finally(async () => {
    await shutdown();
    say('Stopped.');
    process.exit();
  });

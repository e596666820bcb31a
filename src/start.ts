import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { summaryLines } from './cli/summaryText';
import { ConfigError, loadConfig } from './config/loadConfig';
import { createLogger } from './logging/logger';
import { startSandboxSystems } from './sandbox/sandboxSystems';
import { connectClient } from './temporal/clientConnection';
import { startLocalTemporal } from './temporal/localTemporal';
import { ensureLocalTemporal } from './temporal/localTemporalBinaries';
import { installRuntimeLogging } from './temporal/runtimeLogging';
import { describeSchedule, ensureSchedule, triggerSchedule } from './temporal/schedules';
import { configuredSyncs, type SyncStart } from './temporal/syncSchedules';
import { connectWorkerToTemporal, createBridgeWorker } from './temporal/worker';
import { createCodecServer } from './security/codecServer';
import { EncryptionCodec } from './security/encryptionCodec';
import { encryptingDataConverter, loadOrCreateKeyring } from './security/payloadEncryption';
import { readOrCreateSecret } from './security/tokens';
import { receiverFromConfig, sandboxWebhookTarget, webhookSecret } from './webhooks/webhookReceiverFromConfig';
import { startTracing, stopTracing } from './temporal/tracing';
import { untilStopSignal } from './cli/stopSignal';

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

/**
 * `npm start`: the whole product on one machine. A local Temporal server and its Web UI (unless
 * TEMPORAL_ADDRESS is set; BRIDGE_LOCAL_TEMPORAL picks which), the sandbox PMS and CRM, a worker, a schedule per product sync that runs
 * every minute, and an immediate first run whose summary is printed.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  mkdirSync(config.dataDir, { recursive: true });
  const logFile = path.join(config.dataDir, 'bridge.log');
  const logger = createLogger('bridge', { level: config.logLevel, destination: pino.destination({ dest: logFile, sync: false }) });
  installRuntimeLogging(logger);
  say(`crm-pms-bridge starting (logs: ${logFile})`);
  const tracing = startTracing(config);
  if (tracing.tracesUrl) say(`Traces: posted over OTLP to ${tracing.tracesUrl}`);
  shutdownSteps.push({ name: 'tracing', run: stopTracing });

  // Payloads are encrypted by default: a key is generated in the data directory on first start.
  const keyring = loadOrCreateKeyring(config);
  const dataConverter = encryptingDataConverter(keyring);
  const codecToken = process.env.BRIDGE_CODEC_TOKEN ?? readOrCreateSecret(path.join(config.dataDir, 'codec-token'));
  const codecServer = createCodecServer({
    codec: new EncryptionCodec(keyring),
    token: codecToken,
    allowedOrigins: config.security.codecServer.origins,
    logger,
  });
  const codecUrl = await codecServer.listen(config.security.codecServer.port, '127.0.0.1');
  shutdownSteps.push({ name: 'the codec server', run: codecServer.close });

  let address = config.temporal.address;
  let uiUrl = "your Temporal server's Web UI";
  if (!address) {
    const binaries = await ensureLocalTemporal({ ui: true, log: say });
    const local = await startLocalTemporal({
      binaries,
      dataDir: config.dataDir,
      port: config.temporal.devServer.port,
      uiPort: config.temporal.devServer.uiPort,
      namespace: config.temporal.namespace,
      logger,
      // The local UI is bound to 127.0.0.1; it decodes through the codec server without any setup.
      uiCodecEndpoint: `${codecUrl}/t/${codecToken}`,
      say,
    });
    shutdownSteps.push({ name: 'the local Temporal server', run: local.stop });
    address = local.address;
    uiUrl = local.uiUrl ?? uiUrl;
    say(`Local Temporal: ${local.description}, history in ${local.databaseFile}`);
  }

  const hookSecret = config.webhooks.enabled ? webhookSecret(config, true) : null;
  if (config.sandbox.enabled) {
    const webhook = hookSecret ? sandboxWebhookTarget(config, hookSecret) : null;
    const sandbox = await startSandboxSystems(config, logger, { webhook });
    shutdownSteps.push({ name: 'the sandbox systems', run: sandbox.close });
    say(`Sandbox PMS: ${sandbox.pmsUrl}/openapi.json   Sandbox CRM: ${sandbox.crmUrl}/openapi.json`);
  }

  const connection = await connectWorkerToTemporal(config, address);
  shutdownSteps.push({ name: 'the worker connection', run: () => connection.close() });
  const worker = await createBridgeWorker({ config, connection, logger, dataConverter });
  const workerDone = worker.run();
  shutdownSteps.push({
    name: 'the worker',
    run: async () => {
      // On Ctrl-C the SDK has already begun a graceful shutdown; otherwise start one.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerDone;
    },
  });

  const client = await connectClient(config, { address, dataConverter });
  shutdownSteps.push({ name: 'the client connection', run: () => client.connection.close() });
  if (hookSecret) {
    const receiver = receiverFromConfig(config, client, hookSecret, logger);
    const receiverUrl = await receiver.listen(config.webhooks.port, config.webhooks.host);
    shutdownSteps.push({ name: 'the webhook receiver', run: () => receiver.close() });
    say(
      `Product-change webhooks: ${receiverUrl}/webhooks/products/<integration id> (HMAC secret in ${config.webhooks.secret ? 'BRIDGE_WEBHOOK_SECRET' : path.join(config.dataDir, 'webhook-secret')})`,
    );
  }
  say(`Temporal ${address} (namespace ${config.temporal.namespace}); Web UI: ${uiUrl}`);
  say(
    `Payloads are encrypted (AES-256-GCM, key '${keyring.activeKeyId}'). ${config.temporal.address ? 'To read them in the Web UI, open' : 'The local Web UI reads them through the codec server; another UI: open'}`,
  );
  say(`  "Configure data encoder" and set the codec server to ${codecUrl}/t/${codecToken}`);
  say(`  (Temporal CLI: --codec-endpoint ${codecUrl} --codec-auth "Bearer <the token in ${path.join(config.dataDir, 'codec-token')}>")`);

  // Each schedule is created, then run once at once, in order: a demand names products by SKU, so
  // the demand schedules start only after the first product sync has brought the products over.
  const stopped = untilStopSignal();
  for (const sync of configuredSyncs(config)) {
    const change = await ensureSchedule(client, sync, config.temporal.taskQueue);
    const verb = { create: 'created', update: 'updated', unchanged: 'unchanged', delete: 'deleted' }[change];
    say(`Schedule ${sync.scheduleId} ${verb}: ${sync.workflowType}, ${describeSchedule(sync.schedule)}`);
    const { workflowId, runId } = await triggerSchedule(client, sync.scheduleId);
    say(`Started ${workflowId}; waiting for its summary...`);
    const summary = await Promise.race([
      client.workflow.getHandle<SyncStart['workflow']>(workflowId, runId).result(),
      stopped.then(() => undefined),
    ]);
    if (!summary) break;
    for (const line of summaryLines(`First ${sync.workflowType} run (${sync.integrationId})`, summary, 5)) say(line);
  }
  say('Running on the schedules above; press Ctrl-C to stop.');
  await stopped;
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

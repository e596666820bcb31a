import { ScheduleNotFoundError, WorkflowFailedError, type Client } from '@temporalio/client';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { pauseSignal, progressQuery, resumeSignal } from '../../workflows/messages';
import { syncModes } from '../../workflows/productSyncTypes';
import { integrationIdKey, syncDirectionKey } from '../../workflows/searchAttributes';
import type { BridgeConfig } from '../config/configSchema';
import { ConfigError, loadConfig } from '../config/loadConfig';
import { createLogger } from '../logging/logger';
import { startSandboxSystems } from '../sandbox/sandboxSystems';
import { connectClient } from '../temporal/clientConnection';
import { ensureSchedule } from '../temporal/schedules';
import { configuredSyncs, type SyncStart } from '../temporal/syncSchedules';
import { runWorkerProcess } from '../temporal/workerProcess';
import { createCodecServer } from '../security/codecServer';
import { EncryptionCodec } from '../security/encryptionCodec';
import { encryptingDataConverter, loadKeyring } from '../security/payloadEncryption';
import { exitCodes } from './exitCodes';
import { progressLines, summaryLines, type SyncSummary } from './summaryText';

const out = (line: string): void => void process.stdout.write(`${line}\n`);


const syncKinds = { products: 'productSync', demands: 'demandMapping', 'demand-status': 'demandStatus' } as const;
type SyncKind = keyof typeof syncKinds;

function syncFor(config: BridgeConfig, kind: SyncKind, integrationId?: string): SyncStart {
  const candidates = configuredSyncs(config).filter((sync) => sync.workflowType === syncKinds[kind]);
  const sync = integrationId ? candidates.find((s) => s.integrationId === integrationId) : candidates[0];
  if (!sync) {
    throw new InvalidArgumentError(
      `No ${kind} sync${integrationId ? ` '${integrationId}'` : ''} in the configuration; configured: ${candidates.map((s) => s.integrationId).join(', ') || 'none'}.`,
    );
  }
  return sync;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

interface SyncOptions {
  integration?: string;
  wait?: boolean;
  json?: boolean;
  dryRun?: boolean;
  mode?: (typeof syncModes)[number];
}

async function runSync(kind: SyncKind, options: SyncOptions): Promise<number> {
  const config = loadConfig();
  const sync = syncFor(config, kind, options.integration);
  if (kind !== 'products' && (options.dryRun || options.mode)) throw new InvalidArgumentError('--dry-run and --mode apply to product syncs only.');
  const client = await connectClient(config, { dataConverter: encryptingDataConverter(loadKeyring(config)) });
  try {
    await refuseWhileScheduledRunIsInProgress(client, sync);
    const workflowId = `${sync.scheduleId}-manual-${new Date().toISOString()}`;
    const overrides = { ...(options.dryRun ? { dryRun: true } : {}), ...(options.mode ? { mode: options.mode } : {}) };
    const handle = await client.workflow.start(sync.workflowType, {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [{ ...sync.args[0], ...overrides }],
      typedSearchAttributes: [
        { key: integrationIdKey, value: sync.integrationId },
        { key: syncDirectionKey, value: sync.direction },
      ],
      staticSummary: `${sync.summary}, started from the bridge CLI`,
    });
    if (!options.wait) {
      out(options.json ? JSON.stringify({ workflowId, runId: handle.firstExecutionRunId }) : `Started ${workflowId}`);
      return exitCodes.ok;
    }
    const summary = (await handle.result()) as SyncSummary;
    if (options.json) out(JSON.stringify(summary, null, 2));
    else for (const line of summaryLines(`${sync.workflowType} (${sync.integrationId})`, summary)) out(line);
    return summary.status === 'Completed' ? exitCodes.ok : exitCodes.completedWithFailures;
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      const reason = error.cause?.message ?? error.message;
      if (options.json) out(JSON.stringify({ status: 'Failed', reason }));
      else process.stderr.write(`The run failed: ${reason}\n`);
      return exitCodes.failed;
    }
    throw error;
  } finally {
    await client.connection.close();
  }
}

/**
 * Two runs of one integration at once would write the same records concurrently; the schedule
 * prevents that among its own runs (overlap SKIP), and this keeps a hand-started run out of it too.
 */
async function refuseWhileScheduledRunIsInProgress(client: Client, sync: SyncStart): Promise<void> {
  let running: string[];
  try {
    running = (await client.schedule.getHandle(sync.scheduleId).describe()).info.runningActions.map((a) => a.workflow.workflowId);
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return;
    throw error;
  }
  if (running.length > 0) {
    throw new Error(`A scheduled run of '${sync.integrationId}' is in progress (${running.join(', ')}); wait for it to end, or trigger the schedule instead.`);
  }
}

async function signalRun(workflowId: string, which: 'pause' | 'resume'): Promise<number> {
  const config = loadConfig();
  const client = await connectClient(config, { dataConverter: encryptingDataConverter(loadKeyring(config)) });
  try {
    await client.workflow.getHandle(workflowId).signal(which === 'pause' ? pauseSignal : resumeSignal);
    out(`Sent ${which} to ${workflowId}`);
    return exitCodes.ok;
  } finally {
    await client.connection.close();
  }
}

async function showProgress(workflowId: string, options: { json?: boolean }): Promise<number> {
  const config = loadConfig();
  const client = await connectClient(config, { dataConverter: encryptingDataConverter(loadKeyring(config)) });
  try {
    const progress = await client.workflow.getHandle(workflowId).query(progressQuery);
    if (options.json) out(JSON.stringify(progress, null, 2));
    else for (const line of progressLines(workflowId, progress)) out(line);
    return exitCodes.ok;
  } finally {
    await client.connection.close();
  }
}

/** A worker on the configured Temporal server until SIGINT/SIGTERM. */
async function runWorker(): Promise<number> {
  const config = loadConfig();
  await runWorkerProcess(config, createLogger('bridge-worker', { level: config.logLevel }));
  return exitCodes.ok;
}

/** Creates or updates the Temporal Schedule of every configured sync. */
async function applySchedules(options: { json?: boolean }): Promise<number> {
  const config = loadConfig();
  const client = await connectClient(config, { dataConverter: encryptingDataConverter(loadKeyring(config)) });
  try {
    const changes = [];
    for (const sync of configuredSyncs(config)) {
      const change = await ensureSchedule(client, sync, config.temporal.taskQueue);
      changes.push({ scheduleId: sync.scheduleId, change, every: sync.schedule.every, paused: sync.schedule.paused });
    }
    if (options.json) out(JSON.stringify(changes, null, 2));
    else for (const c of changes) out(`${c.scheduleId}: ${c.change} (every ${c.every}${c.paused ? ', paused' : ''})`);
    return exitCodes.ok;
  } finally {
    await client.connection.close();
  }
}

/** The codec server alone, for the Web UI and CLI of a real cluster (see README, Security). */
async function runCodecServer(): Promise<number> {
  const config = loadConfig();
  const keyring = loadKeyring(config);
  const token = process.env.BRIDGE_CODEC_TOKEN;
  if (!keyring || !token) {
    throw new ConfigError('The codec server needs the encryption keys (BRIDGE_ENCRYPTION_KEYS or BRIDGE_ENCRYPTION_KEY_FILE) and its token (BRIDGE_CODEC_TOKEN).');
  }
  const logger = createLogger('codec-server', { level: config.logLevel });
  const server = createCodecServer({ codec: new EncryptionCodec(keyring), token, allowedOrigins: config.security.codecServer.origins, logger });
  const url = await server.listen(config.security.codecServer.port, config.sandbox.host);
  out(`Codec server on ${url} for ${config.security.codecServer.origins.join(', ')} (Ctrl-C stops it)`);
  await untilSignal();
  await server.close();
  return exitCodes.ok;
}

async function runSandbox(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger('sandbox', { level: config.logLevel });
  const sandbox = await startSandboxSystems(config, logger);
  out(`Sandbox PMS: ${sandbox.pmsUrl}  Sandbox CRM: ${sandbox.crmUrl}  (Ctrl-C stops them)`);
  await untilSignal();
  await sandbox.close();
  return exitCodes.ok;
}

export function buildProgram(): Command {
  const program = new Command('bridge')
    .description('crm-pms-bridge: keeps a CRM and a PMS in step, on Temporal')
    .showHelpAfterError()
    // Errors come back to runCli, which turns them into the documented exit codes.
    .exitOverride();

  const sync = program.command('sync').description('run a sync once');
  const descriptions: Record<SyncKind, string> = {
    products: 'start a productSync run (PMS products to the CRM)',
    demands: 'start a demandMapping run (CRM demands and orders to the PMS)',
    'demand-status': 'start a demandStatus run (PMS requirement status to CRM demands)',
  };
  for (const kind of Object.keys(syncKinds) as SyncKind[]) {
    const command = sync
      .command(kind)
      .description(descriptions[kind])
      .option('-i, --integration <id>', 'which configured integration (default: the first)')
      .option('--wait', 'wait for the run and print its summary')
      .option('--json', 'print machine-readable JSON');
    if (kind === 'products') {
      command
        .option('--dry-run', 'report what would be created, updated and archived; write nothing')
        .addOption(new Option('--mode <mode>', 'override the configured sync mode').choices(syncModes));
    }
    command.action(async (options: SyncOptions) => finish(await runSync(kind, options)));
  }

  program.command('pause <workflowId>').description('pause a running sync after its current page').action(async (id: string) => finish(await signalRun(id, 'pause')));
  program.command('resume <workflowId>').description('resume a paused sync').action(async (id: string) => finish(await signalRun(id, 'resume')));
  program
    .command('progress <workflowId>')
    .description('show counts, cursor and state of a run')
    .option('--json', 'print machine-readable JSON')
    .action(async (id: string, options: { json?: boolean }) => finish(await showProgress(id, options)));
  program
    .command('schedules')
    .description('Temporal Schedules of the configured syncs')
    .command('apply')
    .description('create or update the schedule of every configured sync')
    .option('--json', 'print machine-readable JSON')
    .action(async (options: { json?: boolean }) => finish(await applySchedules(options)));
  program.command('worker').description('run a worker on the configured Temporal server').action(async () => finish(await runWorker()));
  program.command('codec-server').description('run the codec server that decrypts payloads for the Temporal UI and CLI').action(async () => finish(await runCodecServer()));
  program.command('sandbox').description('run only the sandbox PMS and CRM').action(async () => finish(await runSandbox()));
  return program;
}

function finish(code: number): void {
  process.exitCode = code;
}

/** Parses and runs one command line; failures become exit codes and a message on stderr. */
export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError && !(error instanceof InvalidArgumentError)) {
      // Commander has already printed its message and the help.
      process.exitCode = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code) ? exitCodes.ok : exitCodes.usage;
      return;
    }
    const usage = error instanceof ConfigError || error instanceof InvalidArgumentError;
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = usage ? exitCodes.usage : exitCodes.failed;
  }
}

if (require.main === module) void runCli(process.argv);

import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { progressQuery } from '../shared/messages';
import { syncModes } from '../shared/syncModes';
import { integrationIdKey, syncDirectionKey } from '../shared/searchAttributes';
import type { BridgeConfig } from '../config/configSchema';
import { ConfigError, loadConfig } from '../config/loadConfig';
import { createLogger } from '../logging/logger';
import { startSandboxSystems } from '../sandbox/sandboxSystems';
import { connectClient } from '../temporal/clientConnection';
import { configuredSyncs, withProductSyncOverrides, type SyncStart } from '../temporal/syncSchedules';
import { integrationPriority } from '../temporal/integrationPriority';
import { stopTracing } from '../temporal/tracing';
import { runWorkerProcess } from '../temporal/workerProcess';
import { createCodecServer } from '../security/codecServer';
import { EncryptionCodec } from '../security/encryptionCodec';
import { encryptingDataConverter, keyringForWriter, loadKeyring } from '../security/payloadEncryption';
import { receiverFromConfig, sandboxWebhookTarget, webhookSecret } from '../webhooks/webhookReceiverFromConfig';
import { out } from './bridgeClient';
import { exitCodes } from './exitCodes';
import { failures, followRun, operatorMove, reportOutcome, trigger, type MoveOptions, type OperatorMove } from './operatorCommands';
import { checkSystem } from './checkCommand';
import { applySchedules, listSchedules, setSchedulesPaused } from './scheduleCommands';
import { status } from './statusCommand';
import { progressLines } from './summaryText';
import { untilStopSignal } from './stopSignal';

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
  if (kind !== 'products' && (options.dryRun || options.mode))
    throw new InvalidArgumentError('--dry-run and --mode apply to product syncs only.');
  const client = await connectClient(config, { dataConverter: encryptingDataConverter(loadKeyring(config)) });
  try {
    await refuseWhileScheduledRunIsInProgress(client, sync);
    const workflowId = `${sync.scheduleId}-manual-${new Date().toISOString()}`;
    const started = withProductSyncOverrides(sync, {
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(options.mode ? { mode: options.mode } : {}),
    });
    const handle = await client.workflow.start(started.workflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: started.args,
      typedSearchAttributes: [
        { key: integrationIdKey, value: sync.integrationId },
        { key: syncDirectionKey, value: sync.direction },
      ],
      priority: integrationPriority(sync.integrationId),
      staticSummary: `${sync.summary}, started from the bridge CLI`,
      staticDetails: sync.details,
    });
    if (!options.wait) {
      out(options.json ? JSON.stringify({ workflowId, runId: handle.firstExecutionRunId }) : `Started ${workflowId}`);
      return exitCodes.ok;
    }
    return reportOutcome(
      `${sync.workflowType} (${sync.integrationId})`,
      await followRun(client, workflowId, handle.firstExecutionRunId),
      options.json,
    );
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
    throw new Error(
      `A scheduled run of '${sync.integrationId}' is in progress (${running.join(', ')}); wait for it to end, or trigger the schedule instead.`,
    );
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

/** The codec server alone, for the Web UI and CLI of a real cluster (see docs/security.md). */
async function runCodecServer(): Promise<number> {
  const config = loadConfig();
  const keyring = loadKeyring(config);
  const token = process.env.BRIDGE_CODEC_TOKEN;
  if (!keyring || !token) {
    throw new ConfigError(
      'The codec server needs the encryption keys (BRIDGE_ENCRYPTION_KEYS or BRIDGE_ENCRYPTION_KEY_FILE) and its token (BRIDGE_CODEC_TOKEN).',
    );
  }
  const logger = createLogger('codec-server', { level: config.logLevel });
  const server = createCodecServer({
    codec: new EncryptionCodec(keyring),
    token,
    allowedOrigins: config.security.codecServer.origins,
    logger,
  });
  const url = await server.listen(config.security.codecServer.port, config.sandbox.host);
  out(`Codec server on ${url} for ${config.security.codecServer.origins.join(', ')} (Ctrl-C stops it)`);
  await untilStopSignal();
  await server.close();
  return exitCodes.ok;
}

/** The product-change webhook receiver until SIGINT/SIGTERM (see docs/how-it-works.md). */
async function runWebhookReceiver(): Promise<number> {
  const config = loadConfig();
  const secret = webhookSecret(config, false);
  const keyring = keyringForWriter(config, 'bridge webhooks');
  const logger = createLogger('webhook-receiver', { level: config.logLevel });
  const client = await connectClient(config, { dataConverter: encryptingDataConverter(keyring) });
  const receiver = receiverFromConfig(config, client, secret, logger);
  const url = await receiver.listen(config.webhooks.port, config.webhooks.host);
  out(`Product-change webhooks on ${url}/webhooks/products/<integration id> (Ctrl-C stops it)`);
  await untilStopSignal();
  await receiver.close();
  await client.connection.close();
  return exitCodes.ok;
}

async function runSandbox(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger('sandbox', { level: config.logLevel });
  // With a webhook secret configured, the sandbox PMS announces product changes to `bridge webhooks`.
  const webhook = config.webhooks.secret ? sandboxWebhookTarget(config, config.webhooks.secret) : null;
  const sandbox = await startSandboxSystems(config, logger, { webhook });
  out(`Sandbox PMS: ${sandbox.pmsUrl}  Sandbox CRM: ${sandbox.crmUrl}  (Ctrl-C stops them)`);
  await untilStopSignal();
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

  const moves: Array<[OperatorMove, string]> = [
    ['pause', 'pause runs in progress after the batch in flight (update pause)'],
    ['resume', 'resume paused runs, or runs that need attention (update resume)'],
    ['retry', 'retry failed and parked records now (update retryFailed; with no run in progress, the next run does it)'],
    [
      'skip',
      'stop retrying failed records, with a reason kept for audit (update skipFailed; with no run in progress, the next run does it)',
    ],
    ['cancel', 'end runs in progress after the batch in flight, with a summary (update cancelAfterBatch)'],
  ];
  for (const [move, description] of moves) {
    const command = program
      .command(`${move} <target>`)
      .description(
        `${description}; target: an integration id, a schedule id or a workflow id. Prints each run's answer; exit 4 when a run refuses`,
      )
      .option('--json', 'print machine-readable JSON');
    if (move === 'retry' || move === 'skip')
      command.option('--ids <ids>', 'only these record ids, comma-separated', (value: string) =>
        value
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean),
      );
    if (move === 'skip') command.requiredOption('--reason <text>', 'why the records are skipped (kept for audit)');
    command.action(async (target: string, options: MoveOptions) => finish(await operatorMove(move, target, options)));
  }
  program
    .command('check <system>')
    .description('check a configured system: credentials, scopes and permissions, the fields the bridge needs, rate-limit headroom')
    .option('--json', 'print machine-readable JSON')
    .action(async (name: string, options: { json?: boolean }) => finish(await checkSystem(name, options)));
  program
    .command('status [integration]')
    .description('schedules and recent runs with state and counts')
    .option('--runs <n>', 'recent runs per sync', (value: string) => positiveInt(value), 3)
    .option('--json', 'print machine-readable JSON')
    .action(async (target: string | undefined, options: { json?: boolean; runs?: number }) => finish(await status(target, options)));
  program
    .command('trigger <integration>')
    .description("start the integration's scheduled sync now (never beside a run in progress)")
    .option('--wait', 'follow the run with a live progress line and print its summary')
    .option('--json', 'print machine-readable JSON')
    .action(async (target: string, options: { wait?: boolean; json?: boolean }) => finish(await trigger(target, options)));
  program
    .command('failures <target>')
    .description('failed, parked, skipped and rejected records of the run in progress, or of the last finished run')
    .option('--csv', 'print CSV (kind,id,reason,attempts,skippedAt,failure)')
    .option('--json', 'print machine-readable JSON')
    .action(async (target: string, options: { csv?: boolean; json?: boolean }) => finish(await failures(target, options)));
  program
    .command('progress <workflowId>')
    .description('show counts, cursor and state of a run')
    .option('--json', 'print machine-readable JSON')
    .action(async (id: string, options: { json?: boolean }) => finish(await showProgress(id, options)));
  const schedules = program.command('schedules').description('Temporal Schedules of the configured syncs');
  schedules
    .command('apply')
    .description('make the Temporal Schedules match the configuration: prints the plan, then creates, updates and deletes what differs')
    .option('--dry-run', 'print the plan only')
    .option('--json', 'print machine-readable JSON')
    .action(async (options: { dryRun?: boolean; json?: boolean }) => finish(await applySchedules(options)));
  schedules
    .command('list')
    .description('every configured schedule with its state and next run')
    .option('--json', 'print machine-readable JSON')
    .action(async (options: { json?: boolean }) => finish(await listSchedules(options)));
  for (const paused of [true, false]) {
    schedules
      .command(`${paused ? 'pause' : 'unpause'} <integration>`)
      .description(paused ? 'stop starting scheduled runs (a run in progress goes on)' : 'start scheduled runs again')
      .option('--note <text>', 'why; shown in the Temporal UI')
      .option('--json', 'print machine-readable JSON')
      .action(async (target: string, options: { note?: string; json?: boolean }) =>
        finish(await setSchedulesPaused(target, paused, options)),
      );
  }
  program
    .command('worker')
    .description('run a worker on the configured Temporal server')
    .action(async () => finish(await runWorker()));
  program
    .command('codec-server')
    .description('run the codec server that decrypts payloads for the Temporal UI and CLI')
    .action(async () => finish(await runCodecServer()));
  program
    .command('webhooks')
    .description("run the receiver of the PMS's product-change webhooks")
    .action(async () => finish(await runWebhookReceiver()));
  program
    .command('sandbox')
    .description('run only the sandbox PMS and CRM')
    .action(async () => finish(await runSandbox()));
  return program;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
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
      process.exitCode = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code)
        ? exitCodes.ok
        : exitCodes.usage;
      return;
    }
    const usage = error instanceof ConfigError || error instanceof InvalidArgumentError;
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = usage ? exitCodes.usage : exitCodes.failed;
  } finally {
    // The command's spans (its workflow start, its queries) are posted before the process exits.
    await stopTracing();
  }
}

if (require.main === module) void runCli(process.argv);

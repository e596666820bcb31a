import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { bridgeSearchAttributes } from '../shared/searchAttributes';
import { freePorts, portAnswers } from './freePorts';
import { dropPostgresDatabases, postgresTargetFromEnvironment, setupPostgresSchema, type PostgresTarget } from './postgresSchema';
import { temporalServerPortNames, writeTemporalServerConfig, type TemporalServerPorts } from './temporalServerConfig';
import { ensureTemporalServer, type TemporalServerBuild } from './temporalServerBuild';

/** A Temporal server process on PostgreSQL, as production runs it (not the dev server). */
export interface PostgresTemporal {
  /** host:port of the frontend, for TEMPORAL_ADDRESS. */
  address: string;
  namespace: string;
  target: PostgresTarget;
  build: TemporalServerBuild;
  /** Where the config and the server's log are. */
  dir: string;
  timings: { buildMs?: number; schemaMs: number; startMs: number };
  stop(): Promise<void>;
  /** Drops both databases; call after stop() to leave nothing behind. */
  dropDatabases(): Promise<void>;
}

export interface PostgresTemporalOptions {
  target: PostgresTarget;
  namespace?: string;
  /** Frontend gRPC port; a free one when absent. */
  frontendPort?: number;
  log?: (line: string) => void;
}

const retention = msToTs('3 days');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The last lines of the server's log, JSON lines shortened to their message and error. */
function serverLogTail(logFile: string): string {
  let lines: string[];
  try {
    lines = readFileSync(logFile, 'utf8').trim().split('\n').slice(-8);
  } catch {
    return '(no log)';
  }
  return lines
    .map((line) => {
      try {
        const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
        return `${entry.level}: ${entry.msg}${entry.error ? ` (${entry.error})` : ''}`;
      } catch {
        return line.slice(0, 300);
      }
    })
    .join('\n');
}

async function choosePorts(frontendPort: number | undefined): Promise<TemporalServerPorts> {
  const ports = await freePorts(temporalServerPortNames.length);
  const chosen = Object.fromEntries(temporalServerPortNames.map((name, i) => [name, ports[i]])) as unknown as TemporalServerPorts;
  if (frontendPort !== undefined) {
    if (await portAnswers(frontendPort)) throw new Error(`Port ${frontendPort} is already in use; choose another frontend port.`);
    chosen.frontend = frontendPort;
  }
  return chosen;
}

async function waitForFrontend(address: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(
        `The Temporal server exited with code ${child.exitCode} while starting. Its log (${logFile}) ends with:\n${serverLogTail(logFile)}`,
      );
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: '2 seconds' });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (error) {
      lastError = (error as Error).message;
      await sleep(300);
    }
  }
  throw new Error(
    `The Temporal server did not answer on ${address} within ${timeoutMs / 1000} s (${lastError}). Its log (${logFile}) ends with:\n${serverLogTail(logFile)}`,
  );
}

function isAlreadyExists(error: unknown): boolean {
  return (error as { code?: number }).code === 6; // gRPC ALREADY_EXISTS
}

/**
 * Registers the namespace and the bridge's search attributes (what `temporal server start-dev
 * --search-attribute` does for the dev server), then waits until the frontend serves the
 * namespace: its namespace cache learns a new namespace only on its next refresh.
 */
async function prepareNamespace(connection: Connection, namespace: string): Promise<void> {
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: retention });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
  const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const existing = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = bridgeSearchAttributes.filter((key) => !(key.name in (existing.customAttributes ?? {})));
      if (missing.length > 0) {
        await connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map((key) => [key.name, keyword])),
        });
      }
      await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`Namespace '${namespace}' is not usable on the new server after 60 s: ${(error as Error).message}`);
      await sleep(500);
    }
  }
}

function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
  });
}

/**
 * Builds (once) the Temporal server, sets up its schema in PostgreSQL, writes its configuration,
 * starts it, and registers the namespace and search attributes. Every step that fails says why.
 */
export async function startPostgresTemporal(options: PostgresTemporalOptions): Promise<PostgresTemporal> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const namespace = options.namespace ?? 'default';
  const build = await ensureTemporalServer({ log });

  const schemaStarted = Date.now();
  await setupPostgresSchema(build.sqlToolPath, build.postgresSchemaDir, options.target);
  const schemaMs = Date.now() - schemaStarted;

  const dir = mkdtempSync(path.join(tmpdir(), 'temporal-postgres-'));
  const ports = await choosePorts(options.frontendPort);
  writeTemporalServerConfig(dir, options.target, ports);
  const logFile = path.join(dir, 'temporal-server.log');
  const logFd = openSync(logFile, 'a');
  const startStarted = Date.now();
  const child = spawn(build.serverPath, ['--root', dir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'], {
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const address = `127.0.0.1:${ports.frontend}`;
  try {
    const connection = await waitForFrontend(address, child, logFile, 90_000);
    try {
      await prepareNamespace(connection, namespace);
    } finally {
      await connection.close();
    }
  } catch (error) {
    await stopProcess(child, 5_000);
    throw error;
  }
  return {
    address,
    namespace,
    target: options.target,
    build,
    dir,
    timings: { buildMs: build.tookMs, schemaMs, startMs: Date.now() - startStarted },
    stop: async () => {
      await stopProcess(child, 15_000);
      rmSync(dir, { recursive: true, force: true });
    },
    dropDatabases: () => dropPostgresDatabases(build.sqlToolPath, options.target),
  };
}

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

/**
 * `npm run temporal:postgres` starts a Temporal server on the local PostgreSQL and runs until
 * Ctrl-C; `npm run temporal:postgres -- install` only builds it (what .ci/run does).
 */
async function main(argv: string[]): Promise<void> {
  const command = argv[0] ?? 'start';
  if (command === 'install') {
    const build = await ensureTemporalServer();
    const took = build.tookMs === undefined ? '' : ` (built in ${seconds(build.tookMs)})`;
    process.stderr.write(
      `Temporal server: ${build.serverPath}\nSQL tool: ${build.sqlToolPath}\nSchema: ${build.postgresSchemaDir} [${build.source}]${took}\n`,
    );
    return;
  }
  if (command !== 'start') throw new Error(`Unknown command '${command}': use 'install' or 'start'.`);
  const target = postgresTargetFromEnvironment(process.env, { database: 'crm_pms_bridge_temporal' });
  const frontendPort = process.env.TEMPORAL_POSTGRES_PORT ? Number(process.env.TEMPORAL_POSTGRES_PORT) : 7233;
  const server = await startPostgresTemporal({ target, frontendPort, namespace: process.env.TEMPORAL_NAMESPACE });
  process.stdout.write(
    `Temporal ${server.address} on PostgreSQL ${target.host}:${target.port} (databases ${target.database}, ${target.visibilityDatabase}); ` +
      `namespace ${server.namespace}. Build ${seconds(server.timings.buildMs)}, schema ${seconds(server.timings.schemaMs)}, start ${seconds(server.timings.startMs)}.\n` +
      `Run workers with TEMPORAL_ADDRESS=${server.address} npx bridge worker. Log: ${path.join(server.dir, 'temporal-server.log')}. Ctrl-C stops it.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.stop();
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { bridgeSearchAttributes } from '../shared/searchAttributes';
import { freePorts, portAnswers } from './freePorts';
import {
  temporalServerPortNames,
  writeTemporalServerConfig,
  type DynamicConfig,
  type TemporalPersistence,
  type TemporalServerPorts,
} from './temporalServerConfig';

/** One `temporal-server` process (all four services) with the namespace and search attributes ready. */
export interface TemporalServerProcess {
  /** host:port of the frontend, for TEMPORAL_ADDRESS. */
  address: string;
  namespace: string;
  /** Every port it listens on: pass them to a restart so it comes back where clients look. */
  ports: TemporalServerPorts;
  /** The server's log (JSON lines, warnings and errors). */
  logFile: string;
  /** From spawning the process to the namespace being usable. */
  startMs: number;
  /** SIGTERM, then SIGKILL after 15 s. */
  stop: () => Promise<void>;
  /** SIGKILL at once, as a crash would (chaos tests). */
  kill: () => Promise<void>;
}

export interface TemporalServerOptions {
  serverPath: string;
  persistence: TemporalPersistence;
  /** Where its configuration and log go. */
  dir: string;
  namespace?: string;
  /** Ports to use; each one absent is chosen free. */
  ports?: Partial<TemporalServerPorts>;
  /** Added to, or overriding, the bridge's dynamic config (temporalServerConfig.ts). */
  dynamicConfig?: DynamicConfig;
}

const retention = msToTs('3 days');

/** Servers of this process, killed if it exits without stopping them (a crashed test file). */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

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

async function choosePorts(given: Partial<TemporalServerPorts>): Promise<TemporalServerPorts> {
  for (const [name, port] of Object.entries(given)) {
    if (await portAnswers(port))
      throw new Error(`Port ${port} (the Temporal server's ${name} port) is already in use; choose another one.`);
  }
  const missing = temporalServerPortNames.filter((name) => given[name] === undefined);
  const free = await freePorts(missing.length);
  return { ...Object.fromEntries(missing.map((name, i) => [name, free[i]])), ...given } as TemporalServerPorts;
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
      await sleep(200);
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
 * Registers the namespace and the bridge's search attributes (a standalone server creates no
 * namespace; the CLI's dev server does both from its flags), then waits until the frontend serves
 * the namespace. Safe on a server that has them already (a restart).
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
      await sleep(300);
    }
  }
}

function stopProcess(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
  });
}

/**
 * Writes the configuration, starts `temporal-server`, waits for its frontend, and registers the
 * namespace and the search attributes. Every failure says why, with the end of the server's log.
 */
export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServerProcess> {
  const namespace = options.namespace ?? 'default';
  mkdirSync(options.dir, { recursive: true });
  const ports = await choosePorts(options.ports ?? {});
  const configFile = writeTemporalServerConfig(options.dir, {
    persistence: options.persistence,
    ports,
    dynamicConfig: options.dynamicConfig,
  });
  const logFile = path.join(options.dir, 'temporal-server.log');
  const logFd = openSync(logFile, 'a');
  const started = Date.now();
  // --config-file: without it (or --config/--env) 1.32 loads its built-in environment-variable template.
  const child = spawn(options.serverPath, ['--config-file', configFile, '--allow-no-auth', 'start'], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  running.add(child);
  child.once('exit', () => running.delete(child));
  const address = `127.0.0.1:${ports.frontend}`;
  try {
    const connection = await waitForFrontend(address, child, logFile, 90_000);
    try {
      await prepareNamespace(connection, namespace);
    } finally {
      await connection.close();
    }
  } catch (error) {
    await stopProcess(child, 'SIGTERM', 5_000);
    throw error;
  }
  return {
    address,
    namespace,
    ports,
    logFile,
    startMs: Date.now() - started,
    stop: () => stopProcess(child, 'SIGTERM', 15_000),
    kill: () => stopProcess(child, 'SIGKILL', 5_000),
  };
}

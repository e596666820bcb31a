import { spawn, type ChildProcess } from 'node:child_process';
import { bridgeSearchAttributes } from '../shared/searchAttributes';
import type { Logger } from '../logging/logger';
import { portAnswers } from './freePorts';

export interface DevServer {
  address: string;
  uiUrl?: string;
  stop: () => Promise<void>;
  /** Kills the server without letting it shut down, as a crash would (chaos tests). */
  kill: () => Promise<void>;
}

export interface DevServerOptions {
  cliPath: string;
  /** The SQLite file that keeps the history. */
  databaseFile: string;
  port: number;
  /** The Web UI's port; no UI when absent. */
  uiPort?: number;
  namespace: string;
  logger: Logger;
  /** The codec server the Web UI decodes payloads with, so a local operator configures nothing. */
  uiCodecEndpoint?: string;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the Temporal dev server exited with code ${child.exitCode} while starting`);
    if (await portAnswers(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the Temporal dev server did not open port ${port} within ${timeoutMs / 1000} s`);
}

/**
 * Starts the Temporal CLI's dev server, `temporal server start-dev` (server 1.29.1, UI 2.42.1), with
 * SQLite persistence in a file, the Web UI, and the bridge's search attributes registered, so
 * scheduled runs and their histories survive a restart. What BRIDGE_LOCAL_TEMPORAL=cli runs, and
 * the fallback where the current server cannot be built (localTemporalBinaries.ts).
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  for (const port of [options.port, ...(options.uiPort === undefined ? [] : [options.uiPort])]) {
    if (await portAnswers(port)) {
      throw new Error(
        `Port ${port} is already in use, so the local Temporal dev server cannot start. Stop what uses it (another npm start?), or set TEMPORAL_ADDRESS to use a running Temporal server.`,
      );
    }
  }
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    options.databaseFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    ...(options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
    ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : []),
    ...bridgeSearchAttributes.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
  ];
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const serverLog = options.logger.child({ component: 'temporal-dev-server' });
  child.stderr?.on('data', (chunk: Buffer) => serverLog.debug(chunk.toString().trim()));
  child.stdout?.on('data', (chunk: Buffer) => serverLog.debug(chunk.toString().trim()));
  await waitForPort(options.port, child, 60_000);
  return {
    address: `127.0.0.1:${options.port}`,
    uiUrl: options.uiPort === undefined ? undefined : `http://localhost:${options.uiPort}`,
    stop: () => stopChild(child, 'SIGTERM'),
    kill: () => stopChild(child, 'SIGKILL'),
  };
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

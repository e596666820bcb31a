import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import { startDevServer } from './devServer';
import type { LocalTemporalBinaries } from './localTemporalBinaries';
import type { TemporalServerPorts } from './temporalServerConfig';
import { temporalServerVersion } from './temporalServerBuild';
import { startTemporalServer } from './temporalServerProcess';
import { startUiServer } from './uiServer';

/** The Temporal that `npm start` (and the chaos suite and the benchmark) run on this machine. */
export interface LocalTemporal {
  address: string;
  /** The Web UI, when one was started. */
  uiUrl?: string;
  /** Which server this is, for the first lines `npm start` prints. */
  description: string;
  /** The file that holds its history. */
  databaseFile: string;
  /** The server's ports; give them to the next start to come back on the same ones (a restart). */
  serverPorts?: TemporalServerPorts;
  stop: () => Promise<void>;
  /** Kills the server without letting it shut down, as a crash would (chaos tests). */
  kill: () => Promise<void>;
}

export interface LocalTemporalOptions {
  binaries: LocalTemporalBinaries;
  /** The history is kept in a SQLite file here, so it survives a restart. */
  dataDir: string;
  port: number;
  /** Start the Web UI on this port; no UI when absent. */
  uiPort?: number;
  namespace: string;
  logger: Logger;
  /** The codec server the Web UI decodes payloads with. */
  uiCodecEndpoint?: string;
  /** The other ports of a previous start of the built server (a restart). */
  serverPorts?: TemporalServerPorts;
  /** Said to the person at the terminal (notices, not logs). */
  say?: (line: string) => void;
}

/**
 * The SQLite file of the built server. Temporal does not migrate a SQLite file to another server
 * version (a 1.29 file lacks tables 1.32 needs), so each server version has a file of its own.
 */
function serverDatabaseFile(dataDir: string): string {
  return path.join(dataDir, `temporal-${temporalServerVersion}.db`);
}

/** The CLI dev server's file, as before the built server existed. */
function cliDatabaseFile(dataDir: string): string {
  return path.join(dataDir, 'temporal.db');
}

/**
 * Starts the local Temporal chosen by {@link ensureLocalTemporal}: the built server on a SQLite
 * file in the data directory with the namespace and search attributes registered, and its Web UI
 * (with the codec endpoint) when `uiPort` is given; or the CLI's dev server, the same way.
 */
export async function startLocalTemporal(options: LocalTemporalOptions): Promise<LocalTemporal> {
  const { binaries } = options;
  mkdirSync(options.dataDir, { recursive: true });
  if (binaries.kind === 'cli') {
    const databaseFile = cliDatabaseFile(options.dataDir);
    const devServer = await startDevServer({
      cliPath: binaries.cli.path,
      databaseFile,
      port: options.port,
      uiPort: options.uiPort,
      namespace: options.namespace,
      logger: options.logger,
      uiCodecEndpoint: options.uiCodecEndpoint,
    });
    return { ...devServer, description: binaries.description, databaseFile };
  }

  const databaseFile = serverDatabaseFile(options.dataDir);
  if (!existsSync(databaseFile) && existsSync(cliDatabaseFile(options.dataDir))) {
    options.say?.(
      `Note: ${cliDatabaseFile(options.dataDir)} holds the history of the CLI's dev server (Temporal 1.29.1); Temporal ${temporalServerVersion} ` +
        `cannot open it, so it starts afresh in ${databaseFile} (the schedules are created again; the first runs re-read the catalog and write ` +
        'only what differs). BRIDGE_LOCAL_TEMPORAL=cli shows the old history again.',
    );
  }
  const server = await startTemporalServer({
    serverPath: binaries.server.serverPath,
    persistence: { kind: 'sqlite-file', file: databaseFile },
    dir: path.join(options.dataDir, `temporal-${temporalServerVersion}`),
    namespace: options.namespace,
    ports: { ...options.serverPorts, frontend: options.port },
  }).catch((error: unknown) => {
    throw new Error(
      `${(error as Error).message}\nIf port ${options.port} is taken (another npm start?), stop what uses it, or set TEMPORAL_ADDRESS to use a running Temporal server.`,
    );
  });
  let uiUrl: string | undefined;
  let stopUi = async () => {};
  if (options.uiPort !== undefined && binaries.ui) {
    try {
      const ui = await startUiServer({
        uiServerPath: binaries.ui.uiServerPath,
        temporalAddress: server.address,
        port: options.uiPort,
        namespace: options.namespace,
        dir: path.join(options.dataDir, `temporal-${temporalServerVersion}`),
        codecEndpoint: options.uiCodecEndpoint,
      });
      uiUrl = ui.url;
      stopUi = ui.stop;
    } catch (error) {
      await server.stop();
      throw error;
    }
  }
  return {
    address: server.address,
    uiUrl,
    description: binaries.description,
    databaseFile,
    serverPorts: server.ports,
    stop: async () => {
      await stopUi();
      await server.stop();
    },
    kill: async () => {
      await stopUi();
      await server.kill();
    },
  };
}

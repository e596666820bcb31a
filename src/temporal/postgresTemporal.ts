import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dropPostgresDatabases, postgresTargetFromEnvironment, setupPostgresSchema, type PostgresTarget } from './postgresSchema';
import { ensureTemporalServer, temporalServerVersion, type TemporalServerBuild } from './temporalServerBuild';
import { startTemporalServer } from './temporalServerProcess';

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

/**
 * Builds (once) the Temporal server, sets up its schema in PostgreSQL, writes its configuration,
 * starts it, and registers the namespace and search attributes. Every step that fails says why.
 */
export async function startPostgresTemporal(options: PostgresTemporalOptions): Promise<PostgresTemporal> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const build = await ensureTemporalServer({ log });

  const schemaStarted = Date.now();
  await setupPostgresSchema(build.sqlToolPath, options.target);
  const schemaMs = Date.now() - schemaStarted;

  const dir = mkdtempSync(path.join(tmpdir(), 'temporal-postgres-'));
  const server = await startTemporalServer({
    serverPath: build.serverPath,
    persistence: { kind: 'postgres', target: options.target },
    dir,
    namespace: options.namespace,
    ports: options.frontendPort === undefined ? {} : { frontend: options.frontendPort },
  }).catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    address: server.address,
    namespace: server.namespace,
    target: options.target,
    build,
    dir,
    timings: { buildMs: build.tookMs, schemaMs, startMs: server.startMs },
    stop: async () => {
      await server.stop();
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
      `Temporal server ${temporalServerVersion}: ${build.serverPath}\nSQL tool: ${build.sqlToolPath} [${build.source}]${took}\n`,
    );
    return;
  }
  if (command !== 'start') throw new Error(`Unknown command '${command}': use 'install' or 'start'.`);
  const target = postgresTargetFromEnvironment(process.env, { database: 'crm_pms_bridge_temporal' });
  const frontendPort = process.env.TEMPORAL_POSTGRES_PORT ? Number(process.env.TEMPORAL_POSTGRES_PORT) : 7233;
  const server = await startPostgresTemporal({ target, frontendPort, namespace: process.env.TEMPORAL_NAMESPACE });
  process.stdout.write(
    `Temporal ${temporalServerVersion} at ${server.address} on PostgreSQL ${target.host}:${target.port} (databases ${target.database}, ${target.visibilityDatabase}); ` +
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

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { PostgresTarget } from './postgresSchema';

/** Every port one Temporal server process listens on (all four services in one process). */
export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

export const temporalServerPortNames: Array<keyof TemporalServerPorts> = [
  'frontend',
  'frontendHttp',
  'frontendMembership',
  'history',
  'historyMembership',
  'matching',
  'matchingMembership',
  'worker',
  'workerMembership',
];

/**
 * Where the server keeps its data:
 * - `sqlite-file`: one SQLite file for executions and visibility, its schema created on first
 *   start (what `npm start` and the chaos suite's restarts use);
 * - `sqlite-memory`: the same in memory, gone when the process ends (the tests);
 * - `postgres`: two PostgreSQL databases whose schema `temporal-sql-tool` set up (production).
 */
export type TemporalPersistence =
  { kind: 'sqlite-file'; file: string } | { kind: 'sqlite-memory' } | { kind: 'postgres'; target: PostgresTarget };

/** A dynamic config value as the server's file format has it (no constraints: every namespace and queue). */
export type DynamicConfig = Record<string, unknown>;

/**
 * The server's dynamic config. Every key was checked against go.temporal.io/server v1.32.2
 * (common/dynamicconfig/constants.go; `temporal-server validate-dynamic-config` warns on none of
 * them); the comment says the default there. Keys that are on by default are set anyway: the file
 * says what the bridge relies on, and docker-compose.yml carries the same values (a unit test
 * compares them).
 */
export const temporalDynamicConfig: DynamicConfig = {
  // New custom search attributes are usable at once (default false), as on the CLI's dev server;
  // that server raises the persistence rates (defaults 2000 / 9000) to make up for it.
  'system.forceSearchAttributesCacheRefreshOnRead': true,
  'frontend.persistenceMaxQPS': 10_000,
  'history.persistenceMaxQPS': 45_000,
  // Workflow ids up to 255 characters (default 1000), as the dev server allows: what runs here runs there.
  'limit.maxIDLength': 255,
  // Visibility calls per second per namespace (default 10: the UI and tests polling lists hit it),
  // and a history cache sized for one machine (default 128,000 entries): the dev server's values.
  'frontend.namespaceRPS.visibility': 100,
  'history.hostLevelCacheMaxSize': 8096,
  // Workflow Update, and waiting for its acceptance (both default true).
  'frontend.enableUpdateWorkflowExecution': true,
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': true,
  // Worker deployments and versions (Worker Versioning), and versioning in the workflow APIs (default true).
  'system.enableDeploymentVersions': true,
  'frontend.workerVersioningWorkflowAPIs': true,
  // Task-queue priority (the new matcher, default true) and fairness keys (default false).
  'matching.useNewMatcher': true,
  'matching.enableFairness': true,
  // Standalone activities (default true), and operator commands and batch operations on them (default false).
  'activity.enableStandalone': true,
  'history.enableStandaloneActivityOperatorCommands': true,
  'frontend.enableBatchOperationsForStandaloneActivities': true,
};

function sqlStore(persistence: TemporalPersistence, database: string, maxConns: number) {
  if (persistence.kind === 'postgres') {
    const { target } = persistence;
    return {
      sql: {
        pluginName: 'postgres12',
        databaseName: database,
        connectAddr: `${target.host}:${target.port}`,
        connectProtocol: 'tcp',
        user: target.user,
        password: target.password ?? '',
        maxConns,
        maxIdleConns: maxConns,
        maxConnLifetime: '1h',
      },
    };
  }
  // For the sqlite plugin the database name is the file (the DSN is file:<name>?<attributes>):
  // `mode`, `cache` and `setup` are URI parameters, any other attribute becomes a pragma.
  const connectAttributes =
    persistence.kind === 'sqlite-memory'
      ? { mode: 'memory', cache: 'shared' }
      : // rwc creates the file, setup its schema (a later start skips the existing tables); WAL
        // with synchronous=FULL keeps a committed write through a crash of the process.
        { mode: 'rwc', setup: 'true', journal_mode: 'wal', synchronous: '2', busy_timeout: '10000' };
  return {
    sql: {
      pluginName: 'sqlite',
      databaseName: database,
      connectAddr: 'localhost', // unused by sqlite, required by the config's validation
      connectProtocol: 'tcp',
      connectAttributes,
      maxConns: 1,
      maxIdleConns: 1,
      // An in-memory database ends with its last connection: never recycle that one.
      ...(persistence.kind === 'sqlite-file' ? { maxConnLifetime: '1h' } : {}),
    },
  };
}

function persistenceConfig(persistence: TemporalPersistence) {
  if (persistence.kind === 'postgres') {
    const { target } = persistence;
    return {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      // Fixed for the life of the database: more shards spread load over more history hosts.
      numHistoryShards: 4,
      datastores: {
        'postgres-default': sqlStore(persistence, target.database, 20),
        'postgres-visibility': sqlStore(persistence, target.visibilityDatabase, 4),
      },
    };
  }
  // One SQLite database holds executions and visibility, as the CLI's dev server does. A random
  // name keeps two in-memory servers of one machine apart.
  const database = persistence.kind === 'sqlite-file' ? persistence.file : `bridge-${process.pid}-${Date.now()}-${Math.random()}`;
  return {
    defaultStore: 'sqlite-default',
    visibilityStore: 'sqlite-default',
    numHistoryShards: 1, // fixed for the life of the file
    datastores: { 'sqlite-default': sqlStore(persistence, database, 1) },
  };
}

const service = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({
  rpc: { grpcPort, membershipPort, bindOnIP: '127.0.0.1', ...extra },
});

/**
 * Writes `<dir>/temporal-server.yaml` (for `temporal-server --config-file`) and its dynamic config
 * beside it: one process running frontend, history, matching and the internal worker (schedules
 * run there) on loopback. `dynamicConfig` adds to or overrides {@link temporalDynamicConfig}.
 */
export function writeTemporalServerConfig(
  dir: string,
  options: { persistence: TemporalPersistence; ports: TemporalServerPorts; dynamicConfig?: DynamicConfig },
): string {
  mkdirSync(dir, { recursive: true });
  const { ports } = options;
  const dynamicConfigFile = path.join(dir, 'dynamicconfig.yaml');
  const dynamicConfig = { ...temporalDynamicConfig, ...options.dynamicConfig };
  writeFileSync(dynamicConfigFile, stringify(Object.fromEntries(Object.entries(dynamicConfig).map(([key, value]) => [key, [{ value }]]))));
  const frontendAddress = `127.0.0.1:${ports.frontend}`;
  const config = {
    log: { stdout: true, level: 'warn' },
    persistence: persistenceConfig(options.persistence),
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: service(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      history: service(ports.history, ports.historyMembership),
      matching: service(ports.matching, ports.matchingMembership),
      worker: service(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: frontendAddress,
          httpAddress: `127.0.0.1:${ports.frontendHttp}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    publicClient: { hostPort: frontendAddress },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
  const file = path.join(dir, 'temporal-server.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

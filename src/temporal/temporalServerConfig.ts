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

function sqlStore(target: PostgresTarget, database: string, maxConns: number) {
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

const service = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({
  rpc: { grpcPort, membershipPort, bindOnIP: '127.0.0.1', ...extra },
});

/**
 * Dynamic config: search attribute changes are seen at once (instead of after the cache's
 * refresh), and workflow ids up to 255 characters, as the dev server allows.
 */
const dynamicConfig = {
  'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }],
  'limit.maxIDLength': [{ value: 255, constraints: {} }],
};

/**
 * Writes `<dir>/config/development.yaml` (what `temporal-server --root <dir> start` reads) for one
 * process running frontend, history, matching and the internal worker (schedules run there) on
 * loopback, with PostgreSQL persistence and SQL visibility.
 */
export function writeTemporalServerConfig(dir: string, target: PostgresTarget, ports: TemporalServerPorts): string {
  const configDir = path.join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const dynamicConfigFile = path.join(configDir, 'dynamicconfig.yaml');
  writeFileSync(dynamicConfigFile, stringify(dynamicConfig));
  const frontendAddress = `127.0.0.1:${ports.frontend}`;
  const config = {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      // Fixed for the life of the database: more shards spread load over more history hosts.
      numHistoryShards: 4,
      datastores: {
        'postgres-default': sqlStore(target, target.database, 20),
        'postgres-visibility': sqlStore(target, target.visibilityDatabase, 4),
      },
    },
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
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: frontendAddress } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    publicClient: { hostPort: frontendAddress },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
  const file = path.join(configDir, 'development.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

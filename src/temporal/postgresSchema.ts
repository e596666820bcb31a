import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Where Temporal keeps its data: a PostgreSQL server and the two databases on it. */
export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
  /** Executions, history, task queues. */
  database: string;
  /** Visibility: what the UI lists and filters (search attributes). */
  visibilityDatabase: string;
}

/** Settings from the environment, the names the Temporal images use too. */
export function postgresTargetFromEnvironment(env: NodeJS.ProcessEnv, defaults: { database: string }): PostgresTarget {
  const database = env.TEMPORAL_POSTGRES_DB ?? defaults.database;
  return {
    host: env.POSTGRES_SEEDS ?? '127.0.0.1',
    port: Number(env.DB_PORT ?? 5432),
    user: env.POSTGRES_USER ?? 'postgres',
    password: env.POSTGRES_PWD,
    database,
    visibilityDatabase: env.TEMPORAL_POSTGRES_VISIBILITY_DB ?? `${database}_visibility`,
  };
}

async function sqlTool(toolPath: string, target: PostgresTarget, database: string, args: string[]): Promise<void> {
  const connection = [
    '--plugin',
    'postgres12',
    '--endpoint',
    target.host,
    '--port',
    String(target.port),
    '--user',
    target.user,
    ...(target.password ? ['--password', target.password] : []),
    '--database',
    database,
  ];
  try {
    await execFileAsync(toolPath, [...connection, ...args], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new Error(
      `Setting up Temporal's schema in PostgreSQL database '${database}' at ${target.host}:${target.port} failed (${args[0]}): ${detail}\n` +
        'Check that PostgreSQL runs there and that the user may create databases (POSTGRES_SEEDS, DB_PORT, POSTGRES_USER, POSTGRES_PWD).',
    );
  }
}

/**
 * Creates both databases if missing and brings their schemas to the version the server expects,
 * with the server's own tool and the schema files embedded in it (postgresql/v12). Safe to run
 * again: an existing database is kept and only upgraded.
 */
export async function setupPostgresSchema(toolPath: string, target: PostgresTarget): Promise<void> {
  for (const [database, schema] of [
    [target.database, 'temporal'],
    [target.visibilityDatabase, 'visibility'],
  ] as const) {
    await sqlTool(toolPath, target, database, ['create-database']);
    // Version 0.0 only creates the schema_version bookkeeping; update-schema applies every step.
    await sqlTool(toolPath, target, database, ['setup-schema', '-v', '0.0']);
    await sqlTool(toolPath, target, database, ['update-schema', '--schema-name', `postgresql/v12/${schema}`]);
  }
}

/** Removes both databases (a test's, when it is done). */
export async function dropPostgresDatabases(toolPath: string, target: PostgresTarget): Promise<void> {
  for (const database of [target.database, target.visibilityDatabase]) {
    await sqlTool(toolPath, target, database, ['drop-database', '--force']);
  }
}

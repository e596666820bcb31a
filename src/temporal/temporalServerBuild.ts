import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { isExecutable, userCacheDir } from './userCache';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * The Temporal server release the PostgreSQL topology runs. Its go.mod has no replace directive,
 * so `go install` accepts it, and its schema files match the server it builds.
 */
export const temporalServerVersion = '1.29.1';
const serverModule = 'go.temporal.io/server';

export interface TemporalServerBuild {
  /** The `temporal-server` executable (go.temporal.io/server/cmd/server). */
  serverPath: string;
  /** The SQL schema tool (go.temporal.io/server/cmd/tools/sql), a.k.a. temporal-sql-tool. */
  sqlToolPath: string;
  /** schema/postgresql/v12 of the same module version: temporal/ and visibility/ schemas. */
  postgresSchemaDir: string;
  source: 'cache' | 'go-install';
  /** Set when this call had to build it. */
  tookMs?: number;
}

/** Per-user cache outside the repository, beside the Temporal CLI's; no binary is ever committed. */
function serverCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return userCacheDir(env, 'temporal-server', `v${temporalServerVersion}`);
}

async function go(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync('go', args, { env, maxBuffer: 16 * 1024 * 1024 });
    return stdout.trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(
        'Go is not installed, so the Temporal server cannot be built: install Go (1.24 or newer) so that `go` is on PATH, then run `npm run temporal:postgres -- install` again.',
      );
    }
    throw new Error(`go ${args.join(' ')} failed: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`);
  }
}

function goEnvironment(cacheDir: string): NodeJS.ProcessEnv {
  // GOTOOLCHAIN=local: build with the Go that is installed, never download another toolchain.
  return { ...process.env, GOTOOLCHAIN: 'local', GOBIN: cacheDir, GOFLAGS: process.env.GOFLAGS ?? '-buildvcs=false' };
}

/** The module's schema files in the Go module cache, downloaded there if the cache was cleaned. */
async function postgresSchemaDir(env: NodeJS.ProcessEnv): Promise<string> {
  const modCache = await go(['env', 'GOMODCACHE'], env);
  let moduleDir = path.join(modCache, `${serverModule}@v${temporalServerVersion}`);
  if (!existsSync(moduleDir)) {
    const info = JSON.parse(await go(['mod', 'download', '-json', `${serverModule}@v${temporalServerVersion}`], env)) as { Dir?: string };
    if (!info.Dir) throw new Error(`go mod download did not say where ${serverModule}@v${temporalServerVersion} is`);
    moduleDir = info.Dir;
  }
  const schemaDir = path.join(moduleDir, 'schema', 'postgresql', 'v12');
  if (!existsSync(path.join(schemaDir, 'temporal', 'versioned'))) {
    throw new Error(
      `The Temporal server module at ${moduleDir} has no PostgreSQL schema under schema/postgresql/v12; remove it from the Go module cache and try again.`,
    );
  }
  return schemaDir;
}

function goInstall(packages: string[], env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn('go', ['install', ...packages], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error('Go is not installed, so the Temporal server cannot be built: install Go (1.24 or newer) and try again.')
          : error,
      ),
    );
    child.on('exit', (code) => {
      if (code === 0) return resolve();
      log(`go install failed; the Go module proxy must be reachable (GOPROXY) and GOTOOLCHAIN=local needs Go 1.24 or newer.`);
      reject(new Error(`go install ${packages.join(' ')} exited with code ${code}`));
    });
  });
}

/**
 * Returns the Temporal server and its SQL schema tool, building both from the Go module proxy
 * into the per-user cache the first time (2 to 5 minutes on 2 cores). Fails loudly, with what to
 * do, when they cannot be had: a test relying on them must never pass by skipping.
 */
export async function ensureTemporalServer(
  options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<TemporalServerBuild> {
  const cacheDir = serverCacheDir(options.env);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const serverPath = path.join(cacheDir, 'temporal-server');
  const sqlToolPath = path.join(cacheDir, 'temporal-sql-tool');
  const env = goEnvironment(cacheDir);
  if (isExecutable(serverPath) && isExecutable(sqlToolPath)) {
    return { serverPath, sqlToolPath, postgresSchemaDir: await postgresSchemaDir(env), source: 'cache' };
  }

  mkdirSync(cacheDir, { recursive: true });
  log(
    `Building the Temporal server v${temporalServerVersion} and its SQL tool from the Go module proxy into ${cacheDir} (first time only; 2 to 5 minutes on 2 cores).`,
  );
  const started = Date.now();
  const version = `@v${temporalServerVersion}`;
  await goInstall([`${serverModule}/cmd/server${version}`, `${serverModule}/cmd/tools/sql${version}`], env, log);
  // `go install` names binaries after their directories; give them the names Temporal's docs use.
  renameSync(path.join(cacheDir, 'server'), serverPath);
  renameSync(path.join(cacheDir, 'sql'), sqlToolPath);
  return { serverPath, sqlToolPath, postgresSchemaDir: await postgresSchemaDir(env), source: 'go-install', tookMs: Date.now() - started };
}

import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporalBuildLockDir, withBuildLock } from './buildLock';
import { checkLocalGo, goBuildEnvironment, goToolchain, runGo } from './goBuild';
import { isExecutable, userCacheDir } from './userCache';

/**
 * The Temporal server release that `npm start`, the tests and the PostgreSQL topology run (the
 * newest the Go module proxy serves). Its go.mod has no replace directive, so `go install`
 * accepts it.
 */
export const temporalServerVersion = '1.32.2';
const serverModule = 'go.temporal.io/server';

/** The Temporal Web UI release (github.com/temporalio/ui-server, the web assets embedded). */
export const temporalUiVersion = '2.58.1';
const uiModule = 'github.com/temporalio/ui-server/v2';

/**
 * The UI server's build module, written into the cache by the build (not a Go project of this
 * repository). ui-server v2.58.1 pins echo v4.16.1 and api v1.64.0, whose module zips the Go
 * module proxy refuses ("not available", 403) while it serves the next patches: requiring those
 * here raises them by minimal version selection. tools.go keeps the requirement through
 * `go mod tidy`.
 */
const uiBuildModule = {
  'go.mod': `// Written by crm-pms-bridge (src/temporal/temporalServerBuild.ts) to build the Temporal UI server.
module local/crm-pms-bridge-temporal-ui

go 1.26.10

require (
	${uiModule} v${temporalUiVersion}
	github.com/labstack/echo/v4 v4.16.5
	go.temporal.io/api v1.64.3
)
`,
  'tools.go': `//go:build tools

package tools

import _ "${uiModule}/cmd/server"
`,
};

export interface TemporalServerBuild {
  /** The `temporal-server` executable (go.temporal.io/server/cmd/server). */
  serverPath: string;
  /** The SQL schema tool (go.temporal.io/server/cmd/tools/sql), a.k.a. temporal-sql-tool; its schema files are embedded. */
  sqlToolPath: string;
  source: 'cache' | 'go-install';
  /** Set when this call had to build it. */
  tookMs?: number;
}

export interface TemporalUiBuild {
  /** The Web UI server (github.com/temporalio/ui-server/v2/cmd/server), assets embedded. */
  uiServerPath: string;
  source: 'cache' | 'go-build';
  tookMs?: number;
}

interface BuildOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

const defaultLog = (line: string) => process.stderr.write(`${line}\n`);

/** Per-user cache outside the repository, beside the Temporal CLI's; no binary is ever committed. */
function serverCacheDir(env: NodeJS.ProcessEnv): string {
  return userCacheDir(env, 'temporal-server', `v${temporalServerVersion}`);
}

function uiCacheDir(env: NodeJS.ProcessEnv): string {
  return userCacheDir(env, 'temporal-ui-server', `v${temporalUiVersion}`);
}

function serverPaths(env: NodeJS.ProcessEnv) {
  const dir = serverCacheDir(env);
  return { dir, serverPath: path.join(dir, 'temporal-server'), sqlToolPath: path.join(dir, 'temporal-sql-tool') };
}

function uiPath(env: NodeJS.ProcessEnv): string {
  return path.join(uiCacheDir(env), 'temporal-ui-server');
}

/** True when both binaries are in the cache: nothing to build. */
function temporalBuildsPresent(env: NodeJS.ProcessEnv = process.env): { server: boolean; ui: boolean } {
  const { serverPath, sqlToolPath } = serverPaths(env);
  return { server: isExecutable(serverPath) && isExecutable(sqlToolPath), ui: isExecutable(uiPath(env)) };
}

/**
 * Returns the Temporal server and its SQL schema tool, building both from the Go module proxy into
 * the per-user cache the first time (10 to 13 minutes on 2 cores from an empty Go module cache).
 * Fails with what to do when Go or the proxy is missing.
 */
export async function ensureTemporalServer(options: BuildOptions = {}): Promise<TemporalServerBuild> {
  const env = options.env ?? process.env;
  const log = options.log ?? defaultLog;
  const { dir, serverPath, sqlToolPath } = serverPaths(env);
  if (temporalBuildsPresent(env).server) return { serverPath, sqlToolPath, source: 'cache' };

  const label = `the Temporal server v${temporalServerVersion} and its SQL tool`;
  return withBuildLock(temporalBuildLockDir(env), label, log, async () => {
    // Another process may have built it while this one waited for the lock.
    if (temporalBuildsPresent(env).server) return { serverPath, sqlToolPath, source: 'cache' as const };
    await checkLocalGo(env);
    log(
      `Building ${label} from the Go module proxy with ${goToolchain} into ${dir} ` +
        '(first time only: 10 to 13 minutes on 2 cores from an empty Go module cache, about 1.9 GB of downloads).',
    );
    const started = Date.now();
    mkdirSync(dir, { recursive: true });
    // go install writes into a fresh directory; the binaries move into place only when both are
    // built, so nobody ever runs half a build.
    const gobin = mkdtempSync(path.join(dir, '.build-'));
    try {
      const version = `@v${temporalServerVersion}`;
      await runGo(['install', '-trimpath', `${serverModule}/cmd/server${version}`, `${serverModule}/cmd/tools/sql${version}`], {
        env: goBuildEnvironment(env, { GOBIN: gobin }),
        label,
        log,
      });
      // `go install` names binaries after their directories; give them the names Temporal's docs use.
      renameSync(path.join(gobin, 'sql'), sqlToolPath);
      renameSync(path.join(gobin, 'server'), serverPath);
    } finally {
      rmSync(gobin, { recursive: true, force: true });
    }
    const tookMs = Date.now() - started;
    log(`Built ${label} in ${(tookMs / 60_000).toFixed(1)} min.`);
    return { serverPath, sqlToolPath, source: 'go-install' as const, tookMs };
  });
}

/**
 * Returns the Temporal Web UI server, building it the first time from a build module written into
 * the cache (about 1.5 minutes once the server's modules are downloaded).
 */
export async function ensureTemporalUiServer(options: BuildOptions = {}): Promise<TemporalUiBuild> {
  const env = options.env ?? process.env;
  const log = options.log ?? defaultLog;
  const uiServerPath = uiPath(env);
  if (temporalBuildsPresent(env).ui) return { uiServerPath, source: 'cache' };

  const label = `the Temporal UI server v${temporalUiVersion}`;
  return withBuildLock(temporalBuildLockDir(env), label, log, async () => {
    if (temporalBuildsPresent(env).ui) return { uiServerPath, source: 'cache' as const };
    await checkLocalGo(env);
    const dir = uiCacheDir(env);
    log(`Building ${label} from the Go module proxy with ${goToolchain} into ${dir} (first time only: 1 to 3 minutes on 2 cores).`);
    const started = Date.now();
    const moduleDir = path.join(dir, 'build-module');
    rmSync(moduleDir, { recursive: true, force: true });
    mkdirSync(moduleDir, { recursive: true });
    for (const [name, content] of Object.entries(uiBuildModule)) writeFileSync(path.join(moduleDir, name), content);
    const building = path.join(dir, `.temporal-ui-server-${process.pid}`);
    try {
      const goEnv = goBuildEnvironment(env);
      await runGo(['mod', 'tidy'], { env: goEnv, cwd: moduleDir, label, log });
      await runGo(['build', '-trimpath', '-o', building, `${uiModule}/cmd/server`], { env: goEnv, cwd: moduleDir, label, log });
      renameSync(building, uiServerPath);
    } finally {
      rmSync(building, { force: true });
    }
    const tookMs = Date.now() - started;
    log(`Built ${label} in ${(tookMs / 60_000).toFixed(1)} min.`);
    return { uiServerPath, source: 'go-build' as const, tookMs };
  });
}

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { temporalBuildLockDir, withBuildLock } from './buildLock';
import { isExecutable, userCacheDir } from './userCache';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * v1.5.1 is the newest CLI release whose go.mod has no replace directive, so it is the newest one
 * `go install` accepts. Keep in step with the SDK's dev server features we rely on.
 */
const temporalCliVersion = '1.5.1';
const goPackage = `github.com/temporalio/cli/cmd/temporal@v${temporalCliVersion}`;

export interface LocatedCli {
  path: string;
  source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'sdk-download' | 'go-install';
  /** Set when this call had to build or download it. */
  tookMs?: number;
}

/** Per-user cache outside the repository: a fresh clone reuses it, and no binary is ever committed. */
function cliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return userCacheDir(env, 'temporal-cli', `v${temporalCliVersion}`);
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Finds an existing `temporal` executable without building or downloading anything. */
function findTemporalCli(env: NodeJS.ProcessEnv = process.env): LocatedCli | undefined {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new Error(
        `TEMPORAL_CLI_PATH is set to ${explicit}, but no executable is there. Point it at a temporal CLI binary, or unset it to let the bridge find or build one.`,
      );
    }
    return { path: explicit, source: 'TEMPORAL_CLI_PATH' };
  }
  const onPath = findOnPath('temporal', env);
  if (onPath) return { path: onPath, source: 'PATH' };
  const cached = path.join(cliCacheDir(env), 'temporal');
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

/**
 * Lets the SDK fetch its dev server build into our cache (works where the internet is reachable).
 * Bounded in time: on an offline machine the attempt must fail fast, not hang.
 */
async function trySdkDownload(cacheDir: string, log: (line: string) => void): Promise<string | undefined> {
  log('Trying the Temporal SDK download of the CLI...');
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const attempt = TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'cached-download', downloadDir: cacheDir, version: `v${temporalCliVersion}` } },
    });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out after 30 s')), 30_000).unref());
    const env = await Promise.race([attempt, timeout]);
    await env.teardown();
    const downloaded = findOnPath('temporal', { PATH: cacheDir }) ?? findDownloadedBinary(cacheDir);
    return downloaded;
  } catch (error) {
    log(`SDK download not possible here (${(error as Error).message.split('\n')[0]}).`);
    return undefined;
  }
}

function findDownloadedBinary(cacheDir: string): string | undefined {
  const candidate = path.join(cacheDir, 'temporal');
  return existsSync(candidate) ? candidate : undefined;
}

async function goAvailable(): Promise<boolean> {
  try {
    await execFileAsync('go', ['version']);
    return true;
  } catch {
    return false;
  }
}

async function goInstall(cacheDir: string, log: (line: string) => void): Promise<string> {
  log(
    `Building the Temporal CLI v${temporalCliVersion} from the Go module proxy into ${cacheDir} (first time only; about 2 minutes on 2 cores)...`,
  );
  await new Promise<void>((resolve, reject) => {
    const child = spawn('go', ['install', goPackage], {
      env: { ...process.env, GOTOOLCHAIN: 'local', GOBIN: cacheDir, GOFLAGS: process.env.GOFLAGS ?? '-buildvcs=false' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install ${goPackage} exited with code ${code}`))));
  });
  return path.join(cacheDir, 'temporal');
}

/**
 * Returns a `temporal` executable, obtaining one if needed: TEMPORAL_CLI_PATH, then PATH, then the
 * per-user cache, then the SDK's download, then a build from the Go module proxy.
 */
export async function ensureTemporalCli(options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}): Promise<LocatedCli> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const found = findTemporalCli(env);
  if (found) return found;

  const cacheDir = cliCacheDir(env);
  return withBuildLock(temporalBuildLockDir(env), `the Temporal CLI v${temporalCliVersion}`, log, async () => {
    // Another process may have obtained it while this one waited for the lock.
    const meanwhile = findTemporalCli(env);
    if (meanwhile) return meanwhile;
    mkdirSync(cacheDir, { recursive: true });
    const started = Date.now();
    const downloaded = await trySdkDownload(cacheDir, log);
    if (downloaded && isExecutable(downloaded)) {
      return { path: downloaded, source: 'sdk-download' as const, tookMs: Date.now() - started };
    }
    if (!(await goAvailable())) {
      throw new Error(
        'No Temporal CLI found and none could be obtained: set TEMPORAL_CLI_PATH to a temporal binary, put `temporal` on PATH, allow internet access for the SDK download, or install Go so the bridge can build it.',
      );
    }
    const built = await goInstall(cacheDir, log);
    return { path: built, source: 'go-install' as const, tookMs: Date.now() - started };
  });
}

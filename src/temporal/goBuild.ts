import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * The Go toolchain the Temporal server and UI server are built with. Both modules declare
 * `go 1.26.10`; with GOTOOLCHAIN set, any Go 1.21 or newer fetches this exact toolchain from the
 * Go module proxy (once, into the module cache) instead of refusing an older local Go. Pinned to
 * one version, not `auto`, so a build is the same on every machine.
 */
export const goToolchain = 'go1.27.3';

/** Go 1.21 is the first release that switches toolchains by itself. */
const minimumLocalGo = [1, 21] as const;

const what = (packages: string) => `${packages} (Go modules and the ${goToolchain} toolchain come from the Go module proxy)`;

/** Says what to do when Go or the module proxy is missing; every build failure ends with it. */
const buildHelp =
  'To build it, install Go 1.21 or newer (so that `go` is on PATH) and make the Go module proxy reachable (GOPROXY; ' +
  `the build fetches the ${goToolchain} toolchain from it), then run \`npm run temporal:install\`. ` +
  "Or set BRIDGE_LOCAL_TEMPORAL=cli to run the Temporal CLI's dev server instead (server 1.29.1, UI 2.42.1).";

/** The installed `go`, checked to be able to fetch the pinned toolchain. */
export async function checkLocalGo(env: NodeJS.ProcessEnv): Promise<string> {
  let version: string;
  try {
    ({ stdout: version } = await execFileAsync('go', ['version'], { env: { ...env, GOTOOLCHAIN: 'local' } }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`Go is not installed (no \`go\` on PATH). ${buildHelp}`);
    throw new Error(`\`go version\` failed: ${(error as Error).message}. ${buildHelp}`);
  }
  const match = /go(\d+)\.(\d+)/.exec(version);
  const [major, minor] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (major < minimumLocalGo[0] || (major === minimumLocalGo[0] && minor < minimumLocalGo[1])) {
    throw new Error(`${version.trim()} is too old to fetch the ${goToolchain} toolchain. ${buildHelp}`);
  }
  return version.trim();
}

/** The environment of a build: the pinned toolchain, no VCS stamping (the module cache has no .git). */
export function goBuildEnvironment(env: NodeJS.ProcessEnv, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...env, GOTOOLCHAIN: goToolchain, GOFLAGS: env.GOFLAGS ?? '-buildvcs=false', ...extra };
}

/**
 * Runs a go command of a build. Its output is kept, not streamed (a cold build prints a line per
 * downloaded module); a line every minute says the build is alive, and a failure carries the end
 * of go's output plus what to do.
 */
export function runGo(
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; label: string; log: (line: string) => void },
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const child = spawn('go', args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let downloads = 0;
    const collect = (chunk: Buffer) => {
      const text = chunk.toString();
      downloads += text.match(/^go: downloading /gm)?.length ?? 0;
      output = (output + text).slice(-20_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const heartbeat = setInterval(() => {
      const minutes = Math.round((Date.now() - started) / 60_000);
      options.log(`  ... still building ${options.label}: ${minutes} min so far, ${downloads} modules downloaded`);
    }, 60_000);
    heartbeat.unref();
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearInterval(heartbeat);
      reject(new Error(error.code === 'ENOENT' ? `Go is not installed (no \`go\` on PATH). ${buildHelp}` : error.message));
    });
    child.on('exit', (code, signal) => {
      clearInterval(heartbeat);
      if (code === 0) return resolve();
      const tail = output.trim().split('\n').slice(-12).join('\n');
      const proxy = options.env.GOPROXY ? ` GOPROXY is '${options.env.GOPROXY}'.` : '';
      reject(
        new Error(
          `Building ${what(options.label)} failed: \`go ${args.join(' ')}\` ${signal ? `was killed by ${signal}` : `exited with code ${code}`}. ` +
            `go said:\n${tail}\n${buildHelp}${proxy}`,
        ),
      );
    });
  });
}

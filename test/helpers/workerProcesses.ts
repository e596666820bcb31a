import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePorts } from '../../src/temporal/freePorts';

const repoRoot = path.resolve(__dirname, '../..');

/** A `bridge worker` process as operators run it, with its metrics and health endpoints on free ports. */
export interface WorkerProcess {
  child: ChildProcess;
  metricsUrl: string;
  healthUrl: string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const [metricsPort, healthPort] = await freePorts(2);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', 'worker'], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, BRIDGE_METRICS_PORT: String(metricsPort), BRIDGE_HEALTH_PORT: String(healthPort) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, healthUrl: `http://127.0.0.1:${healthPort}`, exited };
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

async function answers(url: string): Promise<number | undefined> {
  try {
    return (await fetch(url)).status;
  } catch {
    return undefined;
  }
}

/**
 * Waits until the worker's /readyz says it polls and Temporal answers. A worker process bundles the
 * workflows first: on 2 cores shared with other test runs two of them starting at once took over
 * 60 s, so the limit is generous; a worker that exits or never gets ready still fails the test.
 */
export async function waitUntilReady(worker: WorkerProcess, timeoutMs = 180_000): Promise<void> {
  await waitFor(
    async () => {
      if (worker.child.exitCode !== null) throw new Error(`the worker exited with code ${worker.child.exitCode} before it was ready`);
      return (await answers(`${worker.healthUrl}/readyz`)) === 200;
    },
    timeoutMs,
    'the worker to be ready',
  );
}

/** Stops every worker still running (SIGTERM), whatever the test did. */
export function stopWorkers(workers: WorkerProcess[]): void {
  for (const { child } of workers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}

/** Samples of one metric in Prometheus text format whose labels include `labels`, summed. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) sum += Number(match[3]);
  }
  return sum;
}

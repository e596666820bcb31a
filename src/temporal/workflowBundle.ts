import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundle } from '@temporalio/worker';

const workflowsPath = require.resolve('../../workflows');
/**
 * Bundled with the workflows: each run's duration and outcome as metrics, and OpenTelemetry spans
 * for the run and each activity it schedules (carried to the activity in its headers). A prebuilt
 * bundle must be built with the same modules.
 */
const workflowInterceptorModules = [
  require.resolve('../../workflows/runMetricsInterceptor'),
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

/**
 * What the bundle is built from. The source map is inline (the SDK requires one) but without the
 * sources' text and with line-only mappings: stack traces still name the workflow file and line,
 * and the map shrinks from 3.0 MB to 0.23 MB (the bundle from 4.9 to 2.1 MB). The SDK parses that
 * map into a lookup table in every workflow thread, so its size is memory for the worker's life.
 */
export const workflowBundleOptions: Pick<BundleOptions, 'workflowsPath' | 'workflowInterceptorModules' | 'webpackConfigHook'> = {
  workflowsPath,
  workflowInterceptorModules,
  webpackConfigHook: (config) => ({ ...config, devtool: 'inline-nosources-cheap-module-source-map' }),
};

/** How long bundling may take before the worker gives up starting (it takes about 6 s on 2 busy cores). */
const bundleTimeoutMs = 120_000;

/**
 * Bundles workflows/ with webpack in a short-lived child process and answers the bundle's code.
 * Bundling in the worker's own process (what the SDK does given `workflowsPath`) leaves webpack's
 * memory behind in it for good: measured on 2 cores, the process grew from 173 to 363 MiB RSS while
 * bundling and was still at 317 MiB after a full GC. In a child that memory goes back to the system
 * when the child exits.
 */
export async function bundleWorkflowsApart(): Promise<WorkflowBundle> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bridge-workflow-bundle-'));
  const codePath = path.join(dir, 'workflows.js');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = fork(__filename, [codePath], { execArgv: childExecArgv(), stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
      const timer = setTimeout(() => child.kill('SIGKILL'), bundleTimeoutMs);
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) return resolve();
        reject(
          new Error(
            `Bundling the workflows (workflows/) failed (${signal ? `killed by ${signal}` : `exit code ${code}`}): ${stderr.trim() || 'no output'}. ` +
              'Fix the error shown, or check that workflows/ imports nothing but workflow code and src/shared.',
          ),
        );
      });
    });
    return { code: await readFile(codePath, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * This process's runtime flags, plus tsx's loader when this file is TypeScript and the loader came
 * in through code (`bridge` registers it in src/cli/bin.js) rather than a flag.
 */
function childExecArgv(): string[] {
  const flags = process.execArgv;
  if (!__filename.endsWith('.ts') || flags.some((flag) => flag.includes('tsx'))) return flags;
  return [...flags, '--require', require.resolve('tsx/cjs')];
}

/** The child's side: bundle and write the code to the path given. */
async function bundleToFile(codePath: string): Promise<void> {
  const { code } = await bundleWorkflowCode(workflowBundleOptions);
  await writeFile(codePath, code);
}

if (require.main === module) {
  const codePath = process.argv[2];
  if (!codePath) throw new Error('usage: workflowBundle.ts <output file>');
  bundleToFile(codePath).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}

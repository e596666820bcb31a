import { after, before } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bridgeSearchAttributes } from '../../src/shared/searchAttributes';
import { createLogger } from '../../src/logging/logger';
import { installRuntimeLogging } from '../../src/temporal/runtimeLogging';
import { ensureTemporalCli } from '../../src/temporal/temporalCli';
import { workflowsPath } from '../../src/temporal/worker';

/**
 * A real Temporal dev server (the same CLI `npm start` uses) on free ports, with the bridge's
 * search attributes registered. Never a mock: tests prove behaviour on the real server.
 */
export async function startTemporal(): Promise<TestWorkflowEnvironment> {
  // Retries are expected in these tests; the SDK's per-attempt warnings would drown the report.
  installRuntimeLogging(createLogger('test-temporal', { level: process.env.LOG_LEVEL ?? 'error' }), 'ERROR');
  const cli = await ensureTemporalCli();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli.path },
      searchAttributes: bridgeSearchAttributes,
      log: { format: 'pretty', level: 'error' },
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundling takes seconds; one bundle serves every worker in a test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  return bundle;
}

/** Starts a real Temporal server before the tests of the enclosing suite and stops it after them. */
export function useTemporalServer(): { readonly env: TestWorkflowEnvironment } {
  const holder: { env?: TestWorkflowEnvironment } = {};
  before(async () => {
    holder.env = await startTemporal();
  });
  after(async () => {
    await holder.env?.teardown();
  });
  return {
    get env(): TestWorkflowEnvironment {
      if (!holder.env) throw new Error('the Temporal server is not started yet (use env inside a test)');
      return holder.env;
    },
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bridgeSearchAttributes } from '../../src/shared/searchAttributes';
import { createLogger } from '../../src/logging/logger';
import { ensureLocalTemporal } from '../../src/temporal/localTemporalBinaries';
import { installRuntimeLogging } from '../../src/temporal/runtimeLogging';
import type { DynamicConfig } from '../../src/temporal/temporalServerConfig';
import { startTemporalServer } from '../../src/temporal/temporalServerProcess';
import { workflowBundleOptions } from '../../src/temporal/workflowBundle';

/**
 * A real Temporal server on free ports, with the bridge's namespace and search attributes: the
 * same server `npm start` runs (Temporal 1.32.2 built from the Go module proxy, its history in
 * memory), or the CLI's dev server under BRIDGE_LOCAL_TEMPORAL=cli or where the build is not
 * possible (localTemporalBinaries.ts says so loudly). Never a mock: tests prove behaviour on the
 * real server. `dynamicConfig` adds server settings (`--dynamic-config-value` on the CLI's).
 */
export async function startTemporal(options: { dynamicConfig?: DynamicConfig } = {}): Promise<TestWorkflowEnvironment> {
  // Retries are expected in these tests; the SDK's per-attempt warnings would drown the report.
  installRuntimeLogging(createLogger('test-temporal', { level: process.env.LOG_LEVEL ?? 'error' }), 'ERROR');
  const binaries = await ensureLocalTemporal({ ui: false });
  if (binaries.kind === 'cli') {
    return TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: binaries.cli.path },
        searchAttributes: bridgeSearchAttributes,
        log: { format: 'pretty', level: 'error' },
        extraArgs: Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => [
          '--dynamic-config-value',
          `${key}=${JSON.stringify(value)}`,
        ]),
      },
    });
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'bridge-test-temporal-'));
  const server = await startTemporalServer({
    serverPath: binaries.server.serverPath,
    persistence: { kind: 'sqlite-memory' },
    dir,
    dynamicConfig: options.dynamicConfig,
  });
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address: server.address, namespace: server.namespace });
  const closeConnections = env.teardown.bind(env);
  env.teardown = async () => {
    await closeConnections();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return env;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundling takes seconds; one bundle serves every worker in a test file. Built as `bridge worker` builds it. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    ...workflowBundleOptions,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  return bundle;
}

/** Starts a real Temporal server before the tests of the enclosing suite and stops it after them. */
export function useTemporalServer(options: { dynamicConfig?: DynamicConfig } = {}): { readonly env: TestWorkflowEnvironment } {
  const holder: { env?: TestWorkflowEnvironment } = {};
  before(async () => {
    holder.env = await startTemporal(options);
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

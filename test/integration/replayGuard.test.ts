import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';

/**
 * The replay test (replay.test.ts) is only a guard if it fails on an incompatible change. This
 * replays the recorded productSync histories against two altered copies of the workflow
 * (test/replay/): one adds an activity call before the first step without patching, and must be
 * caught; the other makes the same change behind patched(), and must replay cleanly.
 */
// The SDK logs each failed replay as a warning; here failing is the point, the assertions say the rest.
Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
});

const fixtures = path.join(__dirname, '../fixtures/histories');
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
const bundle = (file: string) => bundleWorkflowCode({ workflowsPath: path.join(__dirname, '../replay', file), logger: silent });
const productSyncHistories = readdirSync(fixtures)
  .filter((file) => file.startsWith('productSync-') && file.endsWith('.json'))
  .map((file) => ({ file, history: JSON.parse(readFileSync(path.join(fixtures, file), 'utf8')) as unknown }));

describe('the replay test catches a workflow change that is not patched', () => {
  let unpatched: WorkflowBundleWithSourceMap;
  let patched: WorkflowBundleWithSourceMap;
  before(async () => {
    unpatched = await bundle('productSyncUnpatched.ts');
    patched = await bundle('productSyncPatched.ts');
  });

  test('there are recorded productSync histories', () => {
    assert.ok(productSyncHistories.length > 0, 'run `npm run record-histories`');
  });

  for (const { file, history } of productSyncHistories) {
    test(`${file}: a new activity call without patched() fails with a DeterminismViolationError`, async () => {
      await assert.rejects(Worker.runReplayHistory({ workflowBundle: unpatched }, history, file), (error: unknown) => {
        assert.ok(error instanceof DeterminismViolationError, `expected a DeterminismViolationError, got ${String(error)}`);
        assert.match(error.message, /Nondeterminism error/);
        return true;
      });
    });

    test(`${file}: the same change behind patched() replays cleanly`, async () => {
      await Worker.runReplayHistory({ workflowBundle: patched }, history, file);
    });
  }
});

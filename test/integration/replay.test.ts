import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/temporalServer';

const fixtures = path.join(__dirname, '../fixtures/histories');

describe('recorded histories replay against the current workflow code', () => {
  const files = readdirSync(fixtures).filter((file) => file.endsWith('.json'));

  test('there are recorded histories to replay', () => {
    assert.ok(files.length > 0, 'run `npm run record-histories` to record them');
  });

  for (const file of files) {
    test(`${file} replays without a determinism error`, async () => {
      const history = JSON.parse(readFileSync(path.join(fixtures, file), 'utf8')) as unknown;
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file);
    });
  }
});

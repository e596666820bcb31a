import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { bundleWorkflowsApart } from '../../src/temporal/workflowBundle';

const fixtures = path.join(__dirname, '../fixtures/histories');

describe("bridge worker's workflow bundle, built in a child process", () => {
  test('replays recorded histories, and its inline source map maps to the workflow files without carrying their text', async () => {
    const bundle = await bundleWorkflowsApart();
    const at = bundle.code.lastIndexOf('//# sourceMappingURL=data:');
    assert.ok(at > 0, 'the SDK requires an inline source map');
    const base64 = bundle.code.slice(bundle.code.indexOf('base64,', at) + 'base64,'.length).trim();
    const map = JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) as {
      sources: string[];
      sourcesContent?: unknown[];
    };
    assert.ok(
      map.sources.some((source) => source.endsWith(path.join('workflows', 'productSync.ts'))),
      'stack traces name the workflow file',
    );
    assert.equal((map.sourcesContent ?? []).filter((content) => typeof content === 'string').length, 0);
    assert.ok(bundle.code.length - at < 500_000, `source map of ${bundle.code.length - at} bytes`);

    for (const file of ['productSync-continue-as-new.json', 'productChangeStream-batch.json']) {
      const history = JSON.parse(readFileSync(path.join(fixtures, file), 'utf8')) as unknown;
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, file);
    }
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProductSyncSummary } from '../../src/shared/productSyncContract';
import { bridgeEnvironment, startSandbox, testConfig } from '../helpers/sandbox';
import { bridge } from '../helpers/bridgeCli';
import { useTemporalServer } from '../helpers/temporalServer';
import { createTestWorker, uniqueTaskQueue } from '../helpers/worker';

describe('the bridge CLI on a real Temporal server', () => {
  const temporal = useTemporalServer();

  test('`bridge sync products --wait --json` runs a sync and prints its summary; a dry run after it finds nothing to change', async () => {
    const sandbox = await startSandbox({ products: 120 });
    try {
      const taskQueue = uniqueTaskQueue('cli');
      const env = bridgeEnvironment(temporal.env.address, sandbox, taskQueue);
      const worker = await createTestWorker(temporal.env, testConfig(sandbox, taskQueue));
      await worker.runUntil(async () => {
        const first = await bridge(['sync', 'products', '--wait', '--json'], env);
        assert.equal(first.code, 0, first.stderr);
        const summary = JSON.parse(first.stdout) as ProductSyncSummary;
        assert.equal(summary.status, 'Completed');
        assert.equal(summary.counts.created, 120);

        const dryRun = await bridge(['sync', 'products', '--wait', '--dry-run'], env);
        assert.equal(dryRun.code, 0, dryRun.stderr);
        assert.match(dryRun.stdout, /productSync \(products\): Completed \(dry run: nothing written\)/);
        assert.match(dryRun.stdout, /unchanged 120/);
      });
    } finally {
      await sandbox.close();
    }
  });

  test('usage and configuration mistakes exit with 2 and say what is wrong', async () => {
    const unknownIntegration = await bridge(['sync', 'products', '-i', 'nope'], { TEMPORAL_ADDRESS: temporal.env.address });
    assert.equal(unknownIntegration.code, 2);
    assert.match(unknownIntegration.stderr, /No products sync 'nope' in the configuration; configured: products/);

    const unknownOption = await bridge(['sync', 'demands', '--dry-run'], {});
    assert.equal(unknownOption.code, 2);
    assert.match(unknownOption.stderr, /unknown option '--dry-run'/);

    const badConfig = await bridge(['sync', 'products'], { TEMPORAL_ADDRESS: 'no-port' });
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /temporal\.address: expected host:port/);
  });
});

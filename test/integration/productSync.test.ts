import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { generateProducts } from '../../src/sandbox/seed';
import { startSandbox, testConfig, withoutFieldLimitChecks } from '../helpers/sandbox';
import { assertCrmMatchesPms } from '../helpers/crmAssertions';
import { useTemporalServer } from '../helpers/temporalServer';
import { syncStatusKey } from '../../src/shared/searchAttributes';
import { progressQuery, resumeUpdate } from '../../src/shared/messages';
import { createTestWorker, runProductSync, startProductSync, uniqueTaskQueue } from '../helpers/worker';
/** Fast retries keep fault tests short; the policy's shape is the production one. */
const fastRetry = { initialIntervalMs: 100, maximumIntervalMs: 1_000, maximumAttempts: 20 };

describe('productSync on a real Temporal server and the sandbox systems', () => {
  const temporal = useTemporalServer();

  test('a full sync of 1,000 products makes the CRM match the PMS in every mapped field, and a second run writes nothing', async () => {
    const sandbox = await startSandbox({ products: 1000 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('full'));
      const first = await runProductSync(temporal.env, config, { pageSize: 200, pagesPerRun: 2 });
      assert.equal(first.status, 'Completed');
      assert.equal(first.counts.created, 1000);
      assert.ok(first.continuedAsNew >= 2, 'a long run continues as new to keep its history small');
      assertCrmMatchesPms(sandbox);
      const firstStats = await sandbox.crmStats();
      // Into an empty CRM: the count, then the writes, verified from their answers; no diff read, no read-back.
      assert.deepEqual({ reads: firstStats.readRequests, writes: firstStats.upsertRequests }, { reads: 1, writes: 10 });

      await sandbox.resetCrmStats();
      const second = await runProductSync(temporal.env, config, { watermark: null });
      assert.equal(second.counts.unchanged, 1000);
      assert.equal(second.counts.created + second.counts.updated, 0);
      const stats = await sandbox.crmStats();
      assert.equal(stats.upsertRequests, 0, 'the second run sends no write at all');
    } finally {
      await sandbox.close();
    }
  });

  test('runs that continue as new keep SyncStatus Running, and the last one ends Completed', async () => {
    const sandbox = await startSandbox({ products: 300 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('status'));
      const worker = await createTestWorker(temporal.env, config);
      await worker.runUntil(async () => {
        const handle = await startProductSync(temporal.env.client, config, { pageSize: 100, pagesPerRun: 1 });
        await handle.result();
        const syncStatus = async (runId?: string) => {
          const description = await temporal.env.client.workflow.getHandle(handle.workflowId, runId).describe();
          return { status: description.status.name, syncStatus: description.typedSearchAttributes.get(syncStatusKey) };
        };
        assert.deepEqual(await syncStatus(handle.firstExecutionRunId), { status: 'CONTINUED_AS_NEW', syncStatus: 'Running' });
        assert.deepEqual(await syncStatus(), { status: 'COMPLETED', syncStatus: 'Completed' });
      });
    } finally {
      await sandbox.close();
    }
  });

  test('5% invalid products are each rejected with their reason while every valid one lands', async () => {
    const sandbox = await startSandbox({ products: 0 });
    try {
      const products = generateProducts(200, 11);
      const broken: Record<string, Record<string, unknown>> = {
        [products[3]!.id]: { name: undefined },
        [products[17]!.id]: { price: { amount: -5, currency: 'EUR' } },
        [products[42]!.id]: { price: { amount: 10, currency: 'XYZ' } },
        [products[77]!.id]: { description: 'x'.repeat(1024 * 1024) },
        [products[90]!.id]: { stock: 'plenty' },
        [products[101]!.id]: { features: 'not a list' },
        [products[120]!.id]: { lifecycle: 'retired' },
        [products[150]!.id]: { name: '' },
        [products[170]!.id]: { price: { amount: Number.MAX_VALUE * 10, currency: 'EUR' } },
        [products[199]!.id]: { category: 42 },
      };
      for (const product of products) await sandbox.putProduct(product.id, { ...product, ...broken[product.id] });

      const summary = await runProductSync(temporal.env, testConfig(sandbox, uniqueTaskQueue('invalid')), {});
      assert.equal(summary.counts.rejected, 10);
      assert.deepEqual(summary.rejected.map((r) => r.id).sort(), Object.keys(broken).sort());
      const reasonOf = (id: string) => summary.rejected.find((r) => r.id === id)?.reason ?? '';
      assert.match(reasonOf(products[3]!.id), /name/);
      assert.match(reasonOf(products[17]!.id), /price\.amount: price must not be negative/);
      assert.match(reasonOf(products[42]!.id), /unknown currency code/);
      assert.match(reasonOf(products[77]!.id), /description/);
      assert.match(reasonOf(products[90]!.id), /stock/);
      assert.equal(summary.counts.created, 190);
      assert.equal(summary.status, 'Completed', 'rejections are reported, not failures');
      assertCrmMatchesPms(sandbox);
    } finally {
      await sandbox.close();
    }
  });

  test('with the CRM failing 20% of requests and answering bursts of 429, everything lands once', async () => {
    const sandbox = await startSandbox({
      products: 600,
      crmFaults: { errorRate: 0.2, errorAfterWriteRate: 0.05, throttleNext: 5, retryAfterSeconds: 1 },
    });
    try {
      const summary = await runProductSync(temporal.env, testConfig(sandbox, uniqueTaskQueue('faults')), {
        pageSize: 100,
        retry: fastRetry,
      });
      assert.equal(summary.status, 'Completed');
      assert.equal(summary.counts.created + summary.counts.updated, 600);
      assertCrmMatchesPms(sandbox);
      const injected = (await sandbox.crmStats()) as unknown as { faults: Record<string, number> };
      assert.ok(
        Object.values(injected.faults).some((n) => n > 0),
        'faults were really injected',
      );
    } finally {
      await sandbox.close();
    }
  });

  test('a batch the CRM refuses for one bad record is split until the offenders are isolated; the rest land', async () => {
    const sandbox = await startSandbox({ products: 0 });
    try {
      const products = generateProducts(300, 5);
      const tooLong = new Set([products[10]!.id, products[250]!.id]);
      for (const product of products) {
        // Valid for the PMS (200 characters allowed), too long for the CRM (100).
        await sandbox.putProduct(product.id, tooLong.has(product.id) ? { ...product, name: `${product.name} `.padEnd(150, 'x') } : product);
      }
      const summary = await runProductSync(temporal.env, withoutFieldLimitChecks(testConfig(sandbox, uniqueTaskQueue('bisect'))), {});
      assert.equal(summary.status, 'CompletedWithFailures');
      assert.deepEqual(summary.failed.map((f) => f.id).sort(), [...tooLong].sort());
      assert.match(summary.failed[0]!.reason, /CRM refused the record: .*name/);
      assert.equal(summary.counts.created, 298);
      const firstFailed = sandbox.pms.store.get(products[10]!.id)!;
      assert.deepEqual(summary.watermark, { since: firstFailed.updatedAt, afterId: '' }, 'the watermark stops at the first failed record');
    } finally {
      await sandbox.close();
    }
  });

  test('mirror mode archives deleted and discontinued products, after a dry run that writes nothing', async () => {
    const sandbox = await startSandbox({ products: 150 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('mirror'));
      await runProductSync(temporal.env, config, {});
      const [deleted, discontinued] = sandbox.pmsProducts().filter((p) => p.lifecycle === 'active');
      await fetch(`${sandbox.pmsUrl}/api/products/${deleted!.id}`, {
        method: 'DELETE',
        headers: { authorization: 'Bearer test-pms-token' },
      });
      await sandbox.putProduct(discontinued!.id, { ...discontinued, lifecycle: 'discontinued' });
      const alreadyDiscontinued = sandbox.pmsProducts().filter((p) => p.lifecycle === 'discontinued' && p.id !== discontinued!.id).length;

      await sandbox.resetCrmStats();
      const dryRun = await runProductSync(temporal.env, config, { mode: 'mirror', dryRun: true, watermark: null });
      assert.equal((await sandbox.crmStats()).upsertRequests, 0, 'a dry run writes nothing');
      assert.ok(dryRun.plan?.archive.includes(deleted!.id));
      assert.ok(dryRun.plan?.archive.includes(discontinued!.id));

      const mirror = await runProductSync(temporal.env, config, { mode: 'mirror', watermark: null });
      assert.equal(mirror.counts.archived, 2 + alreadyDiscontinued);
      assert.equal(sandbox.crm.store.getByExternalId(deleted!.id)?.archived, true);
      assert.equal(sandbox.crm.store.getByExternalId(discontinued!.id)?.archived, true);
    } finally {
      await sandbox.close();
    }
  });

  test('the change guard stops a run that would rewrite most of the CRM for an operator, and its go-ahead (resume) writes the rest', async () => {
    const sandbox = await startSandbox({ products: 200 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('guard'));
      await runProductSync(temporal.env, config, {});
      for (const product of sandbox.pmsProducts()) {
        await sandbox.putProduct(product.id, { ...product, price: { amount: 0.01, currency: 'EUR' } });
      }
      await sandbox.resetCrmStats();
      const worker = await createTestWorker(temporal.env, config);
      await worker.runUntil(async () => {
        const handle = await startProductSync(temporal.env.client, config, {
          pageSize: 40,
          guard: { maxChangeShare: 0.25, minRecords: 100 },
        });
        let progress = await handle.query(progressQuery);
        while (progress.state !== 'NeedsAttention') {
          await new Promise((resolve) => setTimeout(resolve, 100));
          progress = await handle.query(progressQuery);
        }
        assert.match(
          String(progress.attentionReason),
          /^Change guard: page 2 would take the updates and archives of this run past 25% of the CRM's 200 products \(40 done, 40 more in page 2\)\. Nothing of page 2 was written\. .*send resume/,
        );
        assert.equal((await sandbox.crmStats()).recordsUpdated, 40, 'nothing past the allowed share was written while it waits');
        const described = await handle.describe();
        assert.equal(described.typedSearchAttributes.get(syncStatusKey), 'NeedsAttention', 'the UI can filter on it');

        assert.match(await handle.executeUpdate(resumeUpdate), /resuming: the step that stopped \(Change guard: page 2/);
        // After the go-ahead the count starts again: pages 2 (40) and 3 (40) fit, page 4 stops again.
        while ((await handle.query(progressQuery)).pages < 3 || (await handle.query(progressQuery)).state !== 'NeedsAttention') {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.match(String((await handle.query(progressQuery)).attentionReason), /page 4 .*\(40 done, 40 more in page 4\)/);
        await handle.executeUpdate(resumeUpdate);
        const summary = await handle.result();
        assert.equal(summary.status, 'Completed');
        assert.equal(summary.counts.updated, 200);
      });
    } finally {
      await sandbox.close();
    }
  });

  test('wrong CRM credentials fail the run at once with a message that says so', async () => {
    const sandbox = await startSandbox({ products: 20 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('auth'));
      config.systems.crm!.token = 'wrong-token';
      const failure = await runProductSync(temporal.env, config, {}).catch((error: unknown) => error);
      assert.ok(failure instanceof WorkflowFailedError);
      assert.match(String(failure.cause?.message), /CRM rejected the bridge's credentials \(401/);
      assert.equal(sandbox.crm.store.count(), 0);
    } finally {
      await sandbox.close();
    }
  });

  test("a CRM that stays down stops the run for an operator; when nobody answers in time it fails with the CRM's answer as the reason", async () => {
    const sandbox = await startSandbox({ products: 50, crmFaults: { down: true } });
    try {
      const input = { retry: { initialIntervalMs: 50, maximumIntervalMs: 100, maximumAttempts: 3 }, attention: { timeoutMs: 1_000 } };
      const failure = await runProductSync(temporal.env, testConfig(sandbox, uniqueTaskQueue('down')), input).catch((e: unknown) => e);
      assert.ok(failure instanceof WorkflowFailedError);
      assert.match(String(failure.cause?.message), /Nobody answered within .* while the run needed attention: .*CRM failed with 503/);
      assert.equal(failure.cause?.name === 'ApplicationFailure' && (failure.cause as { type?: string }).type, 'NeedsAttentionTimeout');
      assert.equal(sandbox.crm.store.count(), 0);
    } finally {
      await sandbox.close();
    }
  });

  test('an invalid workflow input fails with a message naming the field', async () => {
    const sandbox = await startSandbox({ products: 0 });
    try {
      const failure = await runProductSync(temporal.env, testConfig(sandbox, uniqueTaskQueue('input')), { pageSize: 0 }).catch(
        (e: unknown) => e,
      );
      assert.ok(failure instanceof WorkflowFailedError);
      assert.match(String(failure.cause?.message), /Invalid productSync input: pageSize: Too small/);
    } finally {
      await sandbox.close();
    }
  });
  test('prices keep their currency minor unit in the CRM: BHD with 3 decimals, JPY with none, EUR 1.005 as 1.01', async () => {
    const sandbox = await startSandbox({ products: 0 });
    try {
      const [bhd, jpy, eur] = generateProducts(3, 31);
      await sandbox.putProduct(bhd!.id, { ...bhd!, price: { amount: 30187.091, currency: 'BHD' } });
      await sandbox.putProduct(jpy!.id, { ...jpy!, price: { amount: 1299.5, currency: 'JPY' } });
      await sandbox.putProduct(eur!.id, { ...eur!, price: { amount: 1.005, currency: 'EUR' } });
      const summary = await runProductSync(temporal.env, testConfig(sandbox, uniqueTaskQueue('money')));
      assert.equal(summary.counts.created, 3);
      const price = (id: string) => sandbox.crm.store.readByExternalIds([id])[0]?.properties.price;
      assert.equal(price(bhd!.id), 30187.091, 'BHD keeps its three decimals (it used to arrive as 30187.09)');
      assert.equal(price(jpy!.id), 1300);
      assert.equal(price(eur!.id), 1.01);
    } finally {
      await sandbox.close();
    }
  });
});

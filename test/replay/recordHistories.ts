import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { generateProducts } from '../../src/sandbox/seed';
import { startSandbox, testConfig } from '../helpers/sandbox';
import { startTemporal } from '../helpers/temporalServer';
import { createTestWorker, startProductSync, uniqueTaskQueue } from '../helpers/worker';
import { productChangedSignal } from '../../workflows/messages';

/**
 * `npm run record-histories`: runs productSync on a real server through the paths that matter
 * (continue-as-new, a rejected record, a record the CRM refuses, a dry run) and saves the event
 * histories as fixtures. The replay test runs the current workflow code against them: a change that
 * would break running executions fails there unless it is patched.
 * Re-record only on purpose, when old histories no longer need to replay.
 */
async function main(): Promise<void> {
  // `npm run record-histories -- <name>...` re-records only the named fixtures.
  const only = process.argv.slice(2);
  const wanted = (name: string): boolean => only.length === 0 || only.includes(name);
  const out = path.join(__dirname, '../fixtures/histories');
  mkdirSync(out, { recursive: true });
  const env = await startTemporal();
  const sandbox = await startSandbox();
  const products = generateProducts(120, 3);
  try {
    for (const [index, product] of products.entries()) {
      const body = index === 5 ? { ...product, price: { amount: -1, currency: 'EUR' } } : index === 50 ? { ...product, name: product.name.padEnd(150, 'x') } : product;
      await sandbox.putProduct(product.id, body);
    }
    const config = testConfig(sandbox, uniqueTaskQueue('record'));
    const worker = await createTestWorker(env, config);
    await worker.runUntil(async () => {
      const runs = [
        { name: 'productSync-rejects-and-failures', input: { pageSize: 200 } },
        { name: 'productSync-continue-as-new', input: { pageSize: 40, pagesPerRun: 1, watermark: null } },
        { name: 'productSync-dry-run-mirror', input: { mode: 'mirror' as const, dryRun: true, watermark: null } },
      ];
      for (const { name, input } of runs) {
        if (!wanted(name)) continue;
        const handle = await startProductSync(env.client, config, input, `record-${name}`);
        await handle.result();
        await saveHistory(name, handle.workflowId, handle.firstExecutionRunId);
      }
      await seedDemands();
      for (const [name, workflowType, input] of [
        ['demandMapping-merge-reject-orders', 'demandMapping', { pageSize: 3, pagesPerRun: 2 }],
        ['demandStatus', 'demandStatus', {}],
      ] as const) {
        if (!wanted(name)) continue;
        const handle = await env.client.workflow.start(workflowType, { taskQueue: config.temporal.taskQueue, workflowId: `record-${name}`, args: [input] });
        await handle.result();
        await saveHistory(name, handle.workflowId, handle.firstExecutionRunId);
      }
      if (wanted('productChangeStream-batch')) await recordChangeStream('productChangeStream-batch');
    });

    /** Webhook-announced changes (one repeated, one invalid product) written in one batch, then continue-as-new. */
    async function recordChangeStream(name: string): Promise<void> {
      const workflowId = `record-${name}`;
      const announce = (index: number) => ({ productId: products[index]!.id, updatedAt: new Date().toISOString(), deleted: false });
      const handle = await env.client.workflow.signalWithStart('productChangeStream', {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args: [{ windowMs: 200, batchesPerRun: 1 }],
        signal: productChangedSignal,
        signalArgs: [announce(1)],
      });
      for (const index of [2, 1, 5]) await handle.signal(productChangedSignal, announce(index));
      const firstRun = env.client.workflow.getHandle(workflowId, handle.signaledRunId);
      while ((await firstRun.describe()).status.name === 'RUNNING') await new Promise((resolve) => setTimeout(resolve, 100));
      await saveHistory(name, workflowId, handle.signaledRunId);
      await handle.terminate('fixture recorded');
    }

    async function saveHistory(name: string, workflowId: string, runId: string): Promise<void> {
      // The first run of the chain holds the start, the pages and the continue-as-new.
      const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      writeFileSync(path.join(out, `${name}.json`), `${historyToJSON(history)}\n`);
      process.stdout.write(`recorded ${name} (${history.events?.length} events)\n`);
    }

    /** Two accounts asking for the same thing in other words, an unrelated demand, an unknown product, orders. */
    async function seedDemands(): Promise<void> {
      await sandbox.crmApi('PUT', '/api/accounts/A-1', { name: 'Acme', segment: 'enterprise', annualValue: 120_000 });
      await sandbox.crmApi('PUT', '/api/accounts/A-2', { name: 'Globex', segment: 'smb', annualValue: 20_000 });
      const demand = (title: string, accountId: string, sku = products[1]!.sku) => ({ title, kind: 'feature-request', skus: [sku], priority: 'high', accountId, contactId: null, status: 'open' });
      await sandbox.crmApi('PUT', '/api/demands/D-1', demand('Export reports to Excel', 'A-1'));
      await sandbox.crmApi('PUT', '/api/demands/D-2', demand('Excel export for reports', 'A-2'));
      await sandbox.crmApi('PUT', '/api/demands/D-3', demand('Single sign-on with Azure AD', 'A-2'));
      await sandbox.crmApi('PUT', '/api/demands/D-4', demand('Longer cables', 'A-1', 'SKU-999999'));
      await sandbox.crmApi('PUT', '/api/orders/O-1', { accountId: 'A-1', orderedAt: '2026-11-02T10:00:00Z', lines: [{ sku: products[1]!.sku, quantity: 3 }] });
    }
  } finally {
    await sandbox.close();
    await env.teardown();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { generateProducts } from '../../src/sandbox/seed';
import { startSandbox, testConfig } from '../helpers/sandbox';
import { startTemporal } from '../helpers/temporalServer';
import { createTestWorker, startProductSync, uniqueTaskQueue } from '../helpers/worker';
import {
  pauseSignal,
  productChangedSignal,
  progressQuery,
  resumeSignal,
  retryFailedSignal,
  skipFailedSignal,
} from '../../src/shared/messages';
import type { SyncProgress } from '../../src/shared/syncProgress';
import { productChangeStream } from '../../workflows/productChangeStream';
import { demandMapping } from '../../workflows/demandMapping';
import { demandStatus } from '../../workflows/demandStatus';

/**
 * `npm run record-histories [-- name ...]`: runs the workflows on a real server through the paths
 * that matter (continue-as-new, a rejected record, a record the CRM refuses, a dry run, operator
 * moves, cancellation) and saves the event histories as fixtures. The replay test runs the current
 * workflow code against them: a change that would break running executions fails there unless it
 * is patched. Re-record only on purpose, when old histories no longer need to replay; with names,
 * only those fixtures are recorded and the others are kept.
 */
const only = new Set(process.argv.slice(2));
const wanted = (name: string) => only.size === 0 || only.has(name);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const out = path.join(__dirname, '../fixtures/histories');
  mkdirSync(out, { recursive: true });
  const env = await startTemporal();
  const sandbox = await startSandbox();
  const products = generateProducts(120, 3);
  try {
    for (const [index, product] of products.entries()) {
      const body =
        index === 5
          ? { ...product, price: { amount: -1, currency: 'EUR' } }
          : index === 50
            ? { ...product, name: product.name.padEnd(150, 'x') }
            : product;
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
      for (const { name, input } of runs.filter((r) => wanted(r.name))) {
        const handle = await startProductSync(env.client, config, input, `record-${name}`);
        await handle.result();
        await saveHistory(name, handle.workflowId, handle.firstExecutionRunId);
      }
      if (wanted('productSync-operator-moves')) await recordOperatorMoves();
      if (wanted('productSync-cancelled')) await recordCancelled();
      await seedDemands();
      if (wanted('demandMapping-merge-reject-orders')) {
        const handle = await env.client.workflow.start(demandMapping, {
          taskQueue: config.temporal.taskQueue,
          workflowId: 'record-demandMapping-merge-reject-orders',
          args: [{ pageSize: 3, pagesPerRun: 2 }],
        });
        await handle.result();
        await saveHistory('demandMapping-merge-reject-orders', handle.workflowId, handle.firstExecutionRunId);
      }
      if (wanted('demandStatus')) {
        const handle = await env.client.workflow.start(demandStatus, {
          taskQueue: config.temporal.taskQueue,
          workflowId: 'record-demandStatus',
          args: [{}],
        });
        await handle.result();
        await saveHistory('demandStatus', handle.workflowId, handle.firstExecutionRunId);
      }
      if (wanted('productChangeStream-batch')) await recordChangeStream('productChangeStream-batch');
    });

    /** Webhook-announced changes (one repeated, one invalid product) written in one batch, then continue-as-new. */
    async function recordChangeStream(name: string): Promise<void> {
      const workflowId = `record-${name}`;
      const announce = (index: number) => ({ productId: products[index]!.id, updatedAt: new Date().toISOString(), deleted: false });
      const handle = await env.client.workflow.signalWithStart(productChangeStream, {
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

    async function progressOf(handle: Awaited<ReturnType<typeof startProductSync>>): Promise<SyncProgress> {
      return handle.query(progressQuery);
    }

    async function until(handle: Awaited<ReturnType<typeof startProductSync>>, done: (p: SyncProgress) => boolean): Promise<void> {
      while (!done(await progressOf(handle))) await sleep(50);
    }

    /** A failed record retried then skipped while paused, then the CRM down: NeedsAttention, resume. */
    async function recordOperatorMoves(): Promise<void> {
      await sandbox.setCrmFaults({ latencyMs: 100 });
      const name = 'productSync-operator-moves';
      const input = { pageSize: 40, watermark: null, retry: { initialIntervalMs: 50, maximumIntervalMs: 100, maximumAttempts: 2 } };
      const handle = await startProductSync(env.client, config, input, `record-${name}`);
      await until(handle, (p) => p.pages >= 2);
      await handle.signal(pauseSignal);
      await until(handle, (p) => p.state === 'Paused');
      await handle.signal(retryFailedSignal, { ids: 'not a list' } as never);
      await handle.signal(retryFailedSignal, {});
      await handle.signal(resumeSignal);
      await until(handle, (p) => p.pages >= 3);
      await handle.signal(pauseSignal);
      await until(handle, (p) => p.state === 'Paused');
      await handle.signal(skipFailedSignal, { reason: 'recorded for the replay test' });
      await sandbox.setCrmFaults({ down: true });
      await handle.signal(resumeSignal);
      await until(handle, (p) => p.state === 'NeedsAttention');
      await sandbox.setCrmFaults({ down: false, latencyMs: 0 });
      await handle.signal(resumeSignal);
      await handle.result();
      await saveHistory(name, handle.workflowId, handle.firstExecutionRunId);
    }

    async function recordCancelled(): Promise<void> {
      await sandbox.setCrmFaults({ latencyMs: 100 });
      const name = 'productSync-cancelled';
      const handle = await startProductSync(env.client, config, { pageSize: 40, watermark: null, mode: 'mirror' }, `record-${name}`);
      await until(handle, (p) => p.pages >= 1);
      await handle.cancel();
      await handle.result();
      await sandbox.setCrmFaults({ latencyMs: 0 });
      await saveHistory(name, handle.workflowId, handle.firstExecutionRunId);
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
      const demand = (title: string, accountId: string, sku = products[1]!.sku) => ({
        title,
        kind: 'feature-request',
        skus: [sku],
        priority: 'high',
        accountId,
        contactId: null,
        status: 'open',
      });
      await sandbox.crmApi('PUT', '/api/demands/D-1', demand('Export reports to Excel', 'A-1'));
      await sandbox.crmApi('PUT', '/api/demands/D-2', demand('Excel export for reports', 'A-2'));
      await sandbox.crmApi('PUT', '/api/demands/D-3', demand('Single sign-on with Azure AD', 'A-2'));
      await sandbox.crmApi('PUT', '/api/demands/D-4', demand('Longer cables', 'A-1', 'SKU-999999'));
      await sandbox.crmApi('PUT', '/api/orders/O-1', {
        accountId: 'A-1',
        orderedAt: '2026-11-02T10:00:00Z',
        lines: [{ sku: products[1]!.sku, quantity: 3 }],
      });
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

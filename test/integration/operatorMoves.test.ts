import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { stringify as toYaml } from 'yaml';
import { generateProducts } from '../../src/sandbox/seed';
import { defaultFieldMapping } from '../../src/domain/fieldMapping';
import { progressQuery, resumeSignal, retryFailedSignal, skipFailedSignal } from '../../src/shared/messages';
import type { ProductSyncSummary } from '../../src/shared/productSyncContract';
import { syncStatusKey } from '../../src/shared/searchAttributes';
import type { SyncProgress } from '../../src/shared/syncProgress';
import { bridgeEnvironment, startSandbox, testConfig, withoutFieldLimitChecks } from '../helpers/sandbox';
import { bridge } from '../helpers/bridgeCli';
import { useTemporalServer } from '../helpers/temporalServer';
import { createTestWorker, startProductSync, uniqueTaskQueue } from '../helpers/worker';
import { waitUntil } from '../helpers/waitUntil';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fastRetry = { initialIntervalMs: 50, maximumIntervalMs: 100, maximumAttempts: 3 };

/** A Slack-compatible incoming webhook that keeps what it receives. */
async function startAlertReceiver(): Promise<{ url: string; posts: Array<{ text: string }>; close(): Promise<void> }> {
  const posts: Array<{ text: string }> = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      posts.push(JSON.parse(body) as { text: string });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/bridge`,
    posts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('operator moves on a real Temporal server: attention, retry, skip, cancel, schedules', () => {
  const temporal = useTemporalServer();

  test('a CRM that goes down mid-run stops the run in NeedsAttention with the reason and an alert; after resume everything lands once', async () => {
    const sandbox = await startSandbox({ products: 600, crmFaults: { latencyMs: 20 } });
    const alerts = await startAlertReceiver();
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('attention'), { alerts: { webhookUrl: alerts.url } });
      const worker = await createTestWorker(temporal.env, config);
      await worker.runUntil(async () => {
        const handle = await startProductSync(temporal.env.client, config, {
          pageSize: 100,
          retry: fastRetry,
          attention: { timeoutMs: 120_000 },
        });
        await waitUntil(
          async () => sandbox.crm.store.count(),
          (n) => n >= 200,
          'two pages in the CRM',
        );
        await sandbox.setCrmFaults({ down: true });

        const progress = await waitUntil(
          () => handle.query(progressQuery),
          (p: SyncProgress) => p.state === 'NeedsAttention',
          'NeedsAttention',
        );
        assert.match(progress.attentionReason ?? '', /CRM.*503/);
        const described = await handle.describe();
        assert.equal(described.typedSearchAttributes.get(syncStatusKey), 'NeedsAttention', 'the UI can filter on it');
        await waitUntil(
          async () => alerts.posts.length,
          (n) => n === 1,
          'the alert',
        );
        assert.match(alerts.posts[0]!.text, /productSync 'products' needs attention/);
        assert.match(alerts.posts[0]!.text, new RegExp(handle.workflowId));
        const writtenWhileDown = sandbox.crm.store.count();
        await sleep(1_000);
        assert.equal(sandbox.crm.store.count(), writtenWhileDown, 'the run stopped hammering the CRM');

        await sandbox.setCrmFaults({ down: false });
        await handle.signal(resumeSignal);
        const summary = await handle.result();
        assert.equal(summary.status, 'Completed');
        assert.equal(summary.counts.created, 600, 'every product counted once');
        assert.equal(sandbox.crm.store.count(), 600, 'every product landed once');
        assert.equal((await handle.describe()).typedSearchAttributes.get(syncStatusKey), 'Completed');
      });
    } finally {
      await alerts.close();
      await sandbox.close();
    }
  });

  test('bad signal payloads are refused with what was expected while the run goes on; cancelling ends it after the batch in flight with a summary', async () => {
    const sandbox = await startSandbox({ products: 800, crmFaults: { latencyMs: 30 } });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('cancel'));
      const worker = await createTestWorker(temporal.env, config);
      await worker.runUntil(async () => {
        const handle = await startProductSync(temporal.env.client, config, { pageSize: 100 });
        await handle.signal(retryFailedSignal, { ids: 'P-1' } as never);
        await handle.signal(skipFailedSignal, { ids: ['P-1'] } as never);
        const progress = await waitUntil(
          () => handle.query(progressQuery),
          (p: SyncProgress) => (p.refusedCommands?.length ?? 0) === 2,
          'refusals',
        );
        assert.match(progress.refusedCommands![0]!, /retryFailed refused: ids: ids must be a list of record ids/);
        assert.match(progress.refusedCommands![1]!, /skipFailed refused: reason: reason is required/);
        assert.equal(progress.state, 'Running');

        await waitUntil(
          async () => sandbox.crm.store.count(),
          (n) => n >= 100,
          'a first page',
        );
        await handle.cancel();
        const summary = await handle.result();
        assert.equal(summary.status, 'Cancelled');
        assert.ok(summary.counts.created < 800, 'the run stopped before the end');
        assert.equal(summary.counts.created % 100, 0, 'whole pages only: the batch in flight finished');
        assert.equal(sandbox.crm.store.count(), summary.counts.created, 'the summary accounts for every record written');
        const lastWritten = sandbox.pmsProducts()[summary.counts.created - 1]!;
        assert.deepEqual(
          summary.watermark,
          { since: lastWritten.updatedAt, afterId: lastWritten.id },
          'the watermark is exactly where writing stopped',
        );
      });
    } finally {
      await sandbox.close();
    }
  });

  test('bridge: schedules apply is idempotent and changes only what differs; failing records are retried, parked, skipped with a reason, and retried after a fix', async () => {
    const sandbox = await startSandbox({ products: 0 });
    try {
      const products = generateProducts(50, 9);
      const [retried, skipped] = [products[20]!.id, products[30]!.id];
      for (const product of products) {
        const tooLongForTheCrm = product.id === retried || product.id === skipped;
        await sandbox.putProduct(product.id, tooLongForTheCrm ? { ...product, name: product.name.padEnd(150, 'x') } : product);
      }
      const taskQueue = uniqueTaskQueue('operator-cli');
      const id = `ops-${Date.now()}`;
      const other = `${id}-b`;
      const productSync = (syncId: string, schedule: Record<string, unknown>) => ({
        id: syncId,
        source: 'pms',
        target: 'crm',
        overlapMs: 0,
        schedule,
        failurePolicy: {
          parkAfterRuns: 2,
          retry: { read: { maximumAttempts: 3, initialInterval: '50ms' }, write: { maximumAttempts: 3, initialInterval: '50ms' } },
        },
      });
      const configFile = path.join(sandbox.dir, 'bridge.yaml');
      const writeConfig = (syncs: unknown[]) => writeFileSync(configFile, toYaml({ productSyncs: syncs, demandSyncs: [] }));
      const env = { ...bridgeEnvironment(temporal.env.address, sandbox, taskQueue), BRIDGE_CONFIG: configFile };
      const paused = { every: '1h', paused: true };
      writeConfig([productSync(id, paused), productSync(other, paused)]);

      const created = await bridge(['schedules', 'apply'], env);
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, new RegExp(`\\+ product-sync-${id}: create`));
      assert.match(created.stdout, new RegExp(`\\+ product-sync-${other}: create`));
      const again = await bridge(['schedules', 'apply'], env);
      assert.match(again.stdout, /No changes: all 2 schedules match the configuration/);

      writeConfig([productSync(id, { ...paused, cron: '0 6 * * 1-5', timeZone: 'Europe/Berlin' }), productSync(other, paused)]);
      const planned = await bridge(['schedules', 'apply', '--dry-run'], env);
      assert.match(planned.stdout, new RegExp(`~ product-sync-${id}: update \\(schedule.cron, schedule.timeZone\\)`));
      assert.match(planned.stdout, new RegExp(`  product-sync-${other}: unchanged`));
      assert.match(planned.stdout, /Dry run: nothing was changed/);
      const updated = await bridge(['schedules', 'apply'], env);
      assert.match(updated.stdout, /1 to change, 1 unchanged/);
      const spec = (await temporal.env.client.schedule.getHandle(`product-sync-${id}`).describe()).spec;
      assert.equal(spec.timezone, 'Europe/Berlin');
      assert.equal((await bridge(['schedules', 'apply'], env)).stdout.trim(), 'No changes: all 2 schedules match the configuration.');

      // The CRM's own refusal of too-long names is what gets parked here, not the bridge's check of its limits.
      const workerConfig = (mapping: object) =>
        withoutFieldLimitChecks(
          testConfig(sandbox, taskQueue, { productSyncs: [{ ...productSync(id, paused), mapping }, productSync(other, paused)] }),
        );
      const trigger = async () => JSON.parse((await bridge(['trigger', id, '--wait', '--json'], env)).stdout) as ProductSyncSummary;
      const before = await createTestWorker(temporal.env, workerConfig(defaultFieldMapping));
      await before.runUntil(async () => {
        const first = await trigger();
        assert.deepEqual(
          first.failed.map((f) => [f.id, f.attempts]),
          [
            [retried, 1],
            [skipped, 1],
          ],
        );
        const second = await trigger();
        assert.deepEqual(second.parked.map((f) => f.id).sort(), [retried, skipped].sort(), 'parked after 2 runs');

        const csv = await bridge(['failures', id, '--csv'], env);
        assert.match(csv.stdout, /^kind,id,reason,attempts,skippedAt,failure$/m);
        assert.match(
          csv.stdout,
          new RegExp(`^parked,${retried},"?CRM refused the record: .*name must be at most 100 characters.*,2,,$`, 'm'),
        );

        const skip = await bridge(['skip', id, '--ids', skipped, '--reason', 'legacy product, retired next month', '--json'], env);
        assert.equal(skip.code, 0, skip.stderr);
        const skipRun = (JSON.parse(skip.stdout) as Array<{ target: string }>)[0]!.target;
        const afterSkip = (await temporal.env.client.workflow.getHandle(skipRun).result()) as ProductSyncSummary;
        assert.deepEqual(
          afterSkip.skippedFailures.map((s) => [s.id, s.reason]),
          [[skipped, 'legacy product, retired next month']],
        );
        assert.match(afterSkip.skippedFailures[0]!.failure, /name must be at most 100/);
        assert.deepEqual(
          afterSkip.parked.map((f) => f.id),
          [retried],
        );
      });

      // The fix: the mapping now truncates names to the CRM's limit; workers are redeployed with it.
      const fixedMapping = { ...defaultFieldMapping, name: { from: 'name', transform: { type: 'truncate', maxLength: 100 } } };
      const after = await createTestWorker(temporal.env, workerConfig(fixedMapping));
      await after.runUntil(async () => {
        const retry = await bridge(['retry', id, '--json'], env);
        assert.equal(retry.code, 0, retry.stderr);
        const retryRun = (JSON.parse(retry.stdout) as Array<{ target: string; answer: string }>)[0]!;
        assert.match(retryRun.answer, /started a run that will retry 1 record/);
        const landed = (await temporal.env.client.workflow.getHandle(retryRun.target).result()) as ProductSyncSummary;
        assert.equal(landed.parked.length, 0);
        assert.equal(landed.status, 'Completed');
        assert.deepEqual(
          landed.skippedFailures.map((s) => s.id),
          [skipped],
          'the skip stays on record for audit',
        );
        const [landedRecord] = sandbox.crm.store.readByExternalIds([retried]);
        assert.equal(String(landedRecord?.properties.name).length, 100);
        assert.deepEqual(sandbox.crm.store.readByExternalIds([skipped]), [], 'a skipped record is not retried');

        const next = await trigger();
        assert.equal(next.parked.length, 0, 'the request is carried out once');
        assert.equal(next.counts.created + next.counts.updated, 0);
      });

      const failuresJson = JSON.parse((await bridge(['failures', id, '--json'], env)).stdout) as { skipped: unknown[]; parked: unknown[] };
      assert.equal(failuresJson.parked.length, 0);
      assert.equal(failuresJson.skipped.length, 1);

      writeConfig([productSync(id, { ...paused, cron: '0 6 * * 1-5', timeZone: 'Europe/Berlin' })]);
      const removed = await waitUntil(
        () => bridge(['schedules', 'apply'], env),
        (result) => result.stdout.includes(`- product-sync-${other}: delete`),
        'the removed schedule to be deleted (the schedule list is eventually consistent)',
      );
      assert.match(removed.stdout, /1 to change, 1 unchanged/);
      await temporal.env.client.schedule.getHandle(`product-sync-${id}`).delete();
    } finally {
      await sandbox.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import type { BridgeConfig } from '../../src/config/configSchema';
import { defaultFieldMapping, fieldMappingSchema, type FieldMappingInput } from '../../src/domain/fieldMapping';
import { mappingVersion } from '../../src/domain/mappingVersion';
import { pauseSignal, progressQuery, resumeSignal } from '../../src/shared/messages';
import type { ProductSyncSummary } from '../../src/shared/productSyncContract';
import type { SyncProgress } from '../../src/shared/syncProgress';
import { ensureSchedule, triggerSchedule } from '../../src/temporal/schedules';
import { productSyncStart } from '../../src/temporal/syncSchedules';
import { bridge } from '../helpers/bridgeCli';
import { bridgeEnvironment, startSandbox, testConfig, type TestSandbox } from '../helpers/sandbox';
import { useTemporalServer, workflowBundle } from '../helpers/temporalServer';
import { waitUntil } from '../helpers/waitUntil';
import { createTestWorker, startProductSync, uniqueTaskQueue } from '../helpers/worker';

/** The old mapping: stock is mapped, and the status table has no entry for discontinued products. */
const oldMapping: FieldMappingInput = {
  ...defaultFieldMapping,
  status: { from: 'lifecycle', transform: { type: 'enum', values: { draft: 'Draft', active: 'Active' } } },
};
/** The new one: stock leaves the mapping, discontinued products map. */
const newMapping: FieldMappingInput = Object.fromEntries(Object.entries(defaultFieldMapping).filter(([field]) => field !== 'stock'));
const versionOf = (mapping: FieldMappingInput) => mappingVersion(fieldMappingSchema.parse(mapping));

/** The worker configuration of one deploy: the same sync, this mapping. */
function deployWith(sandbox: TestSandbox, taskQueue: string, syncId: string, mapping: FieldMappingInput): BridgeConfig {
  const config = testConfig(sandbox, taskQueue);
  const base = config.productSyncs[0]!;
  config.productSyncs = [
    {
      ...base,
      id: syncId,
      mapping: fieldMappingSchema.parse(mapping),
      overlapMs: 0,
      schedule: { ...base.schedule, every: '1h', paused: true },
    },
  ];
  return config;
}

describe('a changed field mapping is applied to what already synced (real Temporal server, scheduled runs)', () => {
  const temporal = useTemporalServer();

  test('the next run after a mapping change says how much it rewrites, waits for the go-ahead past the change guard, clears the removed field and writes what the old mapping rejected', async () => {
    const sandbox = await startSandbox({ products: 150 });
    const taskQueue = uniqueTaskQueue('mapping');
    const syncId = `mapping-${Date.now()}`;
    const before = deployWith(sandbox, taskQueue, syncId, oldMapping);
    const after = deployWith(sandbox, taskQueue, syncId, newMapping);
    const start = productSyncStart(before.productSyncs[0]!);
    await ensureSchedule(temporal.env.client, start, taskQueue);
    const runOn = async (config: BridgeConfig, during?: (workflowId: string) => Promise<void>) => {
      const worker = await createTestWorker(temporal.env, config);
      return worker.runUntil(async () => {
        const { workflowId, runId } = await triggerSchedule(temporal.env.client, start.scheduleId);
        await during?.(workflowId);
        const handle = temporal.env.client.workflow.getHandle(workflowId, runId);
        const summary = (await handle.result()) as ProductSyncSummary;
        // The new steps (reading the mapping, the guard's stop for a rewrite) replay deterministically.
        await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await handle.fetchHistory(), workflowId);
        return summary;
      });
    };
    try {
      const discontinued = sandbox
        .pmsProducts()
        .filter((p) => p.lifecycle === 'discontinued')
        .map((p) => p.id)
        .sort();
      assert.ok(discontinued.length > 0, 'the seeded catalog has discontinued products');

      const first = await runOn(before);
      assert.equal(first.status, 'Completed');
      assert.deepEqual(first.rejected.map((r) => r.id).sort(), discontinued);
      assert.match(first.rejected[0]!.reason, /cannot map: status: value 'discontinued' has no entry/);
      assert.equal(first.counts.created, 150 - discontinued.length);
      assert.equal(first.mapping?.version, versionOf(oldMapping));
      assert.equal(first.mappingChange, undefined);
      const withStock = sandbox.crm.store.all().filter((p) => p.properties.stock !== null && p.properties.stock !== undefined);
      assert.equal(withStock.length, first.counts.created, 'every written record holds a stock value');

      // The deploy with the new mapping: the next scheduled run re-reads the whole catalog.
      let stopped: SyncProgress | undefined;
      let stockWhileStopped = 0;
      const second = await runOn(after, async (workflowId) => {
        const handle = temporal.env.client.workflow.getHandle(workflowId);
        stopped = await waitUntil(
          () => handle.query(progressQuery),
          (p) => p.state === 'NeedsAttention',
          'the change guard to stop the rewrite',
        );
        stockWhileStopped = sandbox.crm.store.all().filter((p) => p.properties.stock !== null).length;
        const resumed = await bridge(['resume', workflowId], bridgeEnvironment(temporal.env.address, sandbox, taskQueue));
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.match(resumed.stdout, /resuming/);
      });

      const change = `mapping changed (${versionOf(oldMapping)} -> ${versionOf(newMapping)}): up to ${first.counts.created} records to rewrite (removed, cleared in the CRM: stock)`;
      assert.equal(stopped?.mappingChange, `${change}; 0 rewritten`, 'the progress query says what the run rewrites');
      assert.match(
        stopped?.attentionReason ?? '',
        /^Change guard: page \d+ of a rewrite \(mapping changed .*past 50% of the CRM's \d+ products/,
      );
      assert.match(stopped?.attentionReason ?? '', /send resume \(the go-ahead/);
      assert.equal(stockWhileStopped, first.counts.created, 'nothing was rewritten before the go-ahead');

      assert.equal(second.status, 'Completed');
      assert.equal(second.counts.fetched, 150, 'a full pass, not from the watermark');
      assert.equal(second.counts.updated, first.counts.created, 'every record held a stock value to clear');
      assert.equal(second.counts.created, discontinued.length, 'what the old mapping rejected is written under the new one');
      assert.equal(second.counts.rejected, 0);
      assert.equal(second.mappingChange, `${change}; ${first.counts.created} rewritten, ${discontinued.length} created`);
      assert.deepEqual(second.mapping, {
        version: versionOf(newMapping),
        fields: Object.keys(newMapping).sort(),
        clearFields: [],
        rewritePending: false,
      });

      const crm = sandbox.crm.store.all();
      assert.equal(crm.length, 150);
      assert.deepEqual(
        crm.filter((p) => p.properties.stock !== null),
        [],
        'the removed field is cleared on every record',
      );
      const written = sandbox.crm.store.readByExternalIds(discontinued);
      assert.deepEqual(
        written.map((p) => [p.externalId, p.properties.status]),
        discontinued.map((id) => [id, 'Discontinued']),
      );

      // Same mapping again: the run goes on from the watermark, nothing to rewrite.
      const third = await runOn(after);
      assert.equal(third.status, 'Completed');
      assert.equal(third.mappingChange, undefined);
      assert.ok(third.counts.fetched < 150, `from the watermark, not a full pass (fetched ${third.counts.fetched})`);
      assert.equal(third.counts.updated + third.counts.created, 0);
    } finally {
      await temporal.env.client.schedule.getHandle(start.scheduleId).delete();
      await sandbox.close();
    }
  });

  test("during a rolling deploy a worker with the other mapping refuses the run's steps, naming both versions; the run then goes on as a rewrite under the workers' mapping, with no false mismatch", async () => {
    const sandbox = await startSandbox({ products: 30 });
    const taskQueue = uniqueTaskQueue('rolling');
    const syncId = `rolling-${Date.now()}`;
    const oldWorkers = deployWith(sandbox, taskQueue, syncId, defaultFieldMapping);
    const newWorkers = deployWith(sandbox, taskQueue, syncId, newMapping);
    try {
      // Paused before its first page, so the run reads its mapping on an old worker and pages on a new one.
      const handle = await startProductSync(temporal.env.client, oldWorkers, {
        integrationId: syncId,
        retry: { initialIntervalMs: 50, maximumIntervalMs: 100, maximumAttempts: 3 },
      });
      await handle.signal(pauseSignal);
      const oldWorker = await createTestWorker(temporal.env, oldWorkers);
      await oldWorker.runUntil(async () => {
        await waitUntil(
          async () => (await handle.fetchHistory()).events?.filter((e) => e.activityTaskCompletedEventAttributes).length ?? 0,
          (completed) => completed >= 2,
          'the CRM count and the mapping read by the old worker',
        );
        await waitUntil(
          () => handle.query(progressQuery),
          (p) => p.state === 'Paused',
          'the run paused before its first page',
        );
      });
      const firstRunId = (await handle.describe()).runId;
      const newWorker = await createTestWorker(temporal.env, newWorkers);
      const summary = await newWorker.runUntil(async () => {
        await handle.signal(resumeSignal);
        return handle.result();
      });

      const firstRun = await temporal.env.client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
      const refusals = (firstRun.events ?? []).flatMap((e) =>
        e.activityTaskFailedEventAttributes?.failure ? [e.activityTaskFailedEventAttributes.failure] : [],
      );
      assert.ok(refusals.length > 0, "the new worker refused the old run's page");
      for (const refusal of refusals) {
        assert.equal(refusal.applicationFailureInfo?.type, 'MappingVersionMismatch');
        assert.match(
          refusal.message ?? '',
          new RegExp(
            `maps products with field mapping version ${versionOf(newMapping)}, but the run plans under version ${versionOf(defaultFieldMapping)}`,
          ),
        );
      }

      assert.equal(summary.status, 'Completed');
      assert.ok(summary.continuedAsNew >= 1, 'the run went on in a new run of its chain');
      assert.match(
        summary.mappingChange ?? '',
        new RegExp(`^mapping changed \\(${versionOf(defaultFieldMapping)} -> ${versionOf(newMapping)}\\)`),
      );
      assert.equal(summary.mapping?.version, versionOf(newMapping));
      assert.equal(summary.counts.failed, 0, 'no record reported as mismatched');
      assert.equal(summary.counts.created, 30);
      assert.deepEqual(
        sandbox.crm.store.all().filter((p) => p.properties.stock !== undefined && p.properties.stock !== null),
        [],
        'everything written under the new mapping, which has no stock',
      );
    } finally {
      await sandbox.close();
    }
  });
});

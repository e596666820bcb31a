import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateProducts } from '../../src/sandbox/seed';
import type { DemandMappingSummary } from '../../src/shared/demandMappingContract';
import type { FailuresReport } from '../../src/shared/failuresReport';
import { failuresQuery } from '../../src/shared/messages';
import { ensureSchedule, leaveOperatorRequest, triggerSchedule } from '../../src/temporal/schedules';
import { configuredSyncs } from '../../src/temporal/syncSchedules';
import { startSandbox, testConfig } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { createTestWorker, runProductSync, startProductSync, uniqueTaskQueue } from '../helpers/worker';

describe('demands that cannot be placed yet (real Temporal server, scheduled runs)', () => {
  const temporal = useTemporalServer();

  test('demands naming a product the CRM does not have are parked after parkAfterRuns runs and stop holding the watermark; failures, retryFailed and skipFailed work on them', async () => {
    const sandbox = await startSandbox({ products: 20 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('demand-parking'));
      const base = config.demandSyncs[0]!;
      config.demandSyncs = [
        {
          ...base,
          id: `parking-${Date.now()}`,
          mappingSchedule: { ...base.mappingSchedule, every: '1h', paused: true },
          failurePolicy: { ...base.failurePolicy, parkAfterRuns: 2 },
        },
      ];
      await runProductSync(temporal.env, config);
      // Two products only in the PMS: A reaches the CRM with the next product sync, B never does
      // (its name is longer than the CRM takes, so productSync rejects it).
      const [productA, productB] = generateProducts(2, 5, 21);
      await sandbox.putProduct(productA!.id, productA!);
      await sandbox.putProduct(productB!.id, { ...productB!, name: `${String(productB!.name)} `.padEnd(150, 'x') });
      await sandbox.crmApi('PUT', '/api/accounts/A-P1', { name: 'Parking Account', segment: 'smb', annualValue: 10_000 });
      for (const [id, sku] of [
        ['D-A', productA!.sku],
        ['D-B', productB!.sku],
      ] as const) {
        await sandbox.crmApi('PUT', `/api/demands/${id}`, {
          title: `Wall mount kit for ${id}`,
          kind: 'need',
          skus: [sku],
          priority: 'medium',
          accountId: 'A-P1',
          contactId: null,
          status: 'open',
        });
      }

      const start = configuredSyncs(config).find((sync) => sync.workflowType === 'demandMapping')!;
      await ensureSchedule(temporal.env.client, start, config.temporal.taskQueue);
      const worker = await createTestWorker(temporal.env, config);
      await worker.runUntil(async () => {
        const runOnce = async () => {
          const { workflowId, runId } = await triggerSchedule(temporal.env.client, start.scheduleId);
          const handle = temporal.env.client.workflow.getHandle(workflowId, runId);
          return { handle, summary: (await handle.result()) as DemandMappingSummary };
        };

        const first = (await runOnce()).summary;
        assert.equal(first.status, 'CompletedWithFailures');
        assert.deepEqual(first.failed.map((f) => f.id).sort(), ['D-A', 'D-B']);
        assert.equal(first.watermark.demands?.afterId, '', 'a failed demand holds the watermark');

        const second = await runOnce();
        assert.deepEqual(second.summary.failed, [], 'failing a second run in a row parks them');
        assert.deepEqual(second.summary.parked!.map((p) => p.id).sort(), ['D-A', 'D-B']);
        assert.match(second.summary.parked![0]!.reason, /in the PMS but not yet in the CRM/);
        assert.equal(second.summary.watermark.demands?.afterId, 'D-B', 'parked demands no longer hold the watermark');
        const report: FailuresReport = await second.handle.query(failuresQuery);
        assert.deepEqual(report.parked.map((p) => p.id).sort(), ['D-A', 'D-B'], 'the failures query answers on demandMapping');

        // A reaches the CRM (B is rejected: its name is too long); retry D-A between runs, as `bridge retry` does.
        const products = await (await startProductSync(temporal.env.client, config, {})).result();
        assert.equal(products.counts.rejected, 1);
        await leaveOperatorRequest(temporal.env.client, start.scheduleId, { id: 'retry-1', retryFailed: { ids: ['D-A'] } });
        const third = (await runOnce()).summary;
        assert.deepEqual(
          third.parked!.map((p) => p.id),
          ['D-B'],
        );
        const [placed] = (
          (await sandbox.crmApi('POST', '/api/demands/batch/read', { ids: ['D-A'] })) as {
            results: Array<{ pmsRequirementId: string | null }>;
          }
        ).results;
        assert.notEqual(placed?.pmsRequirementId ?? null, null, 'the retried demand was placed on a requirement');

        await leaveOperatorRequest(temporal.env.client, start.scheduleId, {
          id: 'skip-1',
          skipFailed: { ids: ['D-B'], reason: 'product B is not sold through the CRM' },
        });
        const fourth = (await runOnce()).summary;
        assert.equal(fourth.status, 'Completed');
        assert.deepEqual(fourth.parked, []);
        assert.deepEqual(
          fourth.skippedFailures!.map((s) => [s.id, s.reason]),
          [['D-B', 'product B is not sold through the CRM']],
        );
      });
      await temporal.env.client.schedule.getHandle(start.scheduleId).delete();
    } finally {
      await sandbox.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema } from '../../src/config/configSchema';

import { startSandbox, testConfig } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { runProductSync, runWorkflow, uniqueTaskQueue } from '../helpers/worker';
import { startProductboardFake } from '../fakes/productboardFake';
import { demandMapping } from '../../workflows/demandMapping';

describe('demandMapping writing each demand as a Productboard note (fake), on the real Temporal server', () => {
  const temporal = useTemporalServer();

  test('each mapped demand gets one note linked to its feature and company; a re-run adds nothing; a refused note fails only its demand', async () => {
    const sandbox = await startSandbox({ products: 10 });
    const productboard = await startProductboardFake({ token: 'pb-token' });
    productboard.entities.set('feat-export', 'feature');
    productboard.entities.set('comp-a1', 'company');
    try {
      const base = testConfig(sandbox, uniqueTaskQueue('productboard'));
      const config = configSchema.parse({
        ...base,
        systems: { ...base.systems, pb: { kind: 'productboard', url: productboard.url, token: 'pb-token' } },
        demandSyncs: [
          {
            ...base.demandSyncs[0],
            notes: {
              system: 'pb',
              entityByProduct: { 'P-000003': 'feat-export', 'P-000004': 'feat-removed' },
              companyByAccount: { 'A-T1': 'comp-a1' },
            },
          },
        ],
      });
      await runProductSync(temporal.env, config);
      for (const i of [1, 2])
        await sandbox.crmApi('PUT', `/api/accounts/A-T${i}`, { name: `Account ${i}`, segment: 'smb', annualValue: 10_000 });
      const demand = (id: string, accountId: string, sku: string, title: string) =>
        sandbox.crmApi('PUT', `/api/demands/${id}`, {
          title,
          description: 'From the field',
          kind: 'feature-request',
          skus: [sku],
          priority: 'high',
          accountId,
          contactId: null,
          status: 'open',
        });
      await demand('D-P1', 'A-T1', 'SKU-000003', 'Export reports to Excel');
      await demand('D-P2', 'A-T2', 'SKU-000003', 'Excel export for reports');
      await demand('D-P3', 'A-T2', 'SKU-000004', 'Dark mode');

      const first = await runWorkflow(temporal.env, config, demandMapping);
      assert.deepEqual(
        first.failed.map((f) => f.id),
        ['D-P3'],
      );
      assert.match(first.failed[0]!.reason, /Productboard refused its note: .*feature feat-removed does not exist/);
      const byDemand = new Map([...productboard.notes.values()].map((n) => [n.metadata.source.recordId, n]));
      assert.deepEqual(
        ['D-P1', 'D-P2'].map((id) =>
          byDemand
            .get(id)!
            .relationships.map((r) => `${r.type}:${r.target.id}`)
            .sort(),
        ),
        [['customer:comp-a1', 'link:feat-export'], ['link:feat-export']],
      );
      assert.equal(byDemand.get('D-P1')!.metadata.source.system, 'crm-pms-bridge');

      productboard.entities.set('feat-removed', 'feature');
      const second = await runWorkflow(temporal.env, config, demandMapping);
      assert.deepEqual(second.failed, []);
      assert.equal(productboard.notes.size, 3, 'one note per demand, whatever the runs');
      assert.deepEqual(byDemandNow(productboard, 'D-P3'), ['link:feat-removed']);
    } finally {
      await productboard.close();
      await sandbox.close();
    }
  });

  test('features and companies named in the configuration are looked up by name; a name Productboard lacks fails only its demand until someone creates it', async () => {
    const sandbox = await startSandbox({ products: 10 });
    const productboard = await startProductboardFake({ token: 'pb-token' });
    const exportFeature = productboard.addEntity('feature', 'Export to Excel');
    const acme = productboard.addEntity('company', 'Acme GmbH');
    try {
      const base = testConfig(sandbox, uniqueTaskQueue('productboard-names'));
      const config = configSchema.parse({
        ...base,
        systems: { ...base.systems, pb: { kind: 'productboard', url: productboard.url, token: 'pb-token', nameCacheMs: 0 } },
        demandSyncs: [
          {
            ...base.demandSyncs[0],
            notes: {
              system: 'pb',
              entityByProduct: { 'P-000003': { name: 'export to excel' }, 'P-000004': { name: 'Dark mode' } },
              companyByAccount: { 'A-N1': { name: 'Acme GmbH' } },
            },
          },
        ],
      });
      await runProductSync(temporal.env, config);
      await sandbox.crmApi('PUT', '/api/accounts/A-N1', { name: 'Acme GmbH', segment: 'enterprise', annualValue: 50_000 });
      const demand = (id: string, sku: string, title: string) =>
        sandbox.crmApi('PUT', `/api/demands/${id}`, {
          title,
          description: '',
          kind: 'feature-request',
          skus: [sku],
          priority: 'medium',
          accountId: 'A-N1',
          contactId: null,
          status: 'open',
        });
      await demand('D-N1', 'SKU-000003', 'Export reports to Excel');
      await demand('D-N2', 'SKU-000004', 'Dark mode please');

      const first = await runWorkflow(temporal.env, config, demandMapping);
      assert.deepEqual(
        first.failed.map((f) => [f.id, f.reason]),
        [['D-N2', "Productboard cannot take its note: Productboard has no feature named 'Dark mode'"]],
      );
      assert.deepEqual(byDemandNow(productboard, 'D-N1'), [`customer:${acme}`, `link:${exportFeature}`].sort());
      assert.deepEqual(byDemandNow(productboard, 'D-N2'), [], 'no note without its feature');

      const darkMode = productboard.addEntity('feature', 'Dark mode');
      const second = await runWorkflow(temporal.env, config, demandMapping);
      assert.deepEqual(second.failed, []);
      assert.deepEqual(byDemandNow(productboard, 'D-N2'), [`customer:${acme}`, `link:${darkMode}`].sort());
      assert.equal(productboard.notes.size, 2);
    } finally {
      await productboard.close();
      await sandbox.close();
    }
  });
});

function byDemandNow(productboard: Awaited<ReturnType<typeof startProductboardFake>>, demandId: string): string[] {
  const note = [...productboard.notes.values()].find((n) => n.metadata.source.recordId === demandId);
  return note ? note.relationships.map((r) => `${r.type}:${r.target.id}`).sort() : [];
}

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema } from '../../src/config/configSchema';
import { startSandbox, testConfig, type TestSandbox } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { runProductSync, runWorkflow, uniqueTaskQueue } from '../helpers/worker';
import { startProductboardFake } from '../fakes/productboardFake';
import { demandMapping } from '../../workflows/demandMapping';
import { demandStatus } from '../../workflows/demandStatus';

interface CrmDemandLink {
  id: string;
  pmsRequirementId: string | null;
  pmsStatus: string | null;
}

async function crmLinks(sandbox: TestSandbox, ids: string[]): Promise<CrmDemandLink[]> {
  return ((await sandbox.crmApi('POST', '/api/demands/batch/read', { ids })) as { results: CrmDemandLink[] }).results;
}

describe('a demand sync whose PMS is Productboard (fake), on the real Temporal server', () => {
  const temporal = useTemporalServer();

  test('demandMapping puts the demands on features as linked notes, a second run writes nothing, demandStatus carries the feature status back to the CRM', async () => {
    const sandbox = await startSandbox({ products: 10 });
    const productboard = await startProductboardFake({ token: 'pb-token' });
    const component = productboard.addEntity('component', 'Reporting');
    const acme = productboard.addEntity('company', 'Acme GmbH');
    try {
      const base = testConfig(sandbox, uniqueTaskQueue('pb-requirements'));
      const config = configSchema.parse({
        ...base,
        systems: {
          ...base.systems,
          pb: {
            kind: 'productboard',
            url: productboard.url,
            token: 'pb-token',
            requirements: { createFeatures: true, defaultParent: component, terminalStatuses: ['Released'] },
          },
        },
        demandSyncs: [{ ...base.demandSyncs[0], pms: 'pb' }],
      });
      await runProductSync(temporal.env, config);
      for (const [id, name] of [
        ['A-P1', 'Acme GmbH'],
        ['A-P2', 'Globex'],
      ] as const)
        await sandbox.crmApi('PUT', `/api/accounts/${id}`, { name, segment: 'enterprise', annualValue: 50_000 });
      const demand = (id: string, accountId: string, title: string) =>
        sandbox.crmApi('PUT', `/api/demands/${id}`, {
          title,
          description: 'Heard on a call',
          kind: 'feature-request',
          skus: ['SKU-000003'],
          priority: 'high',
          accountId,
          contactId: null,
          status: 'open',
        });
      await demand('D-R1', 'A-P1', 'Export reports to Excel');
      await demand('D-R2', 'A-P2', 'Export reports to Excel please');
      await demand('D-R3', 'A-P2', 'Single sign-on with Azure AD');

      const first = await runWorkflow(temporal.env, config, demandMapping);
      assert.equal(first.status, 'Completed');
      assert.deepEqual([first.demands.created, first.demands.linked, first.failed.length], [2, 1, 0]);
      const features = [...productboard.entities].filter(([, type]) => type === 'feature').map(([id]) => id);
      assert.equal(features.length, 2);
      const noteOf = (demandId: string) => [...productboard.notes.values()].find((n) => n.metadata.source.recordId === demandId)!;
      const exportFeature = noteOf('D-R1').relationships.find((r) => r.type === 'link')!.target.id;
      assert.equal(noteOf('D-R2').relationships.find((r) => r.type === 'link')!.target.id, exportFeature, 'the same need merged');
      assert.ok(noteOf('D-R1').relationships.some((r) => r.type === 'customer' && r.target.id === acme));
      assert.equal(productboard.notes.size, 3);

      const writes = productboard.writes();
      const second = await runWorkflow(temporal.env, config, demandMapping);
      assert.equal(second.status, 'Completed');
      assert.equal(productboard.writes(), writes, 'the second run writes nothing to Productboard');

      productboard.setStatus(exportFeature, 'Released');
      const status = await runWorkflow(temporal.env, config, demandStatus);
      assert.equal(status.status, 'Completed');
      const links = await crmLinks(sandbox, ['D-R1', 'D-R2', 'D-R3']);
      assert.deepEqual(
        links.filter((l) => l.pmsRequirementId === exportFeature).map((l) => [l.id, l.pmsStatus]),
        [
          ['D-R1', 'Released'],
          ['D-R2', 'Released'],
        ],
      );
      assert.notEqual(links.find((l) => l.id === 'D-R3')!.pmsRequirementId, exportFeature);
    } finally {
      await productboard.close();
      await sandbox.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema } from '../../src/config/configSchema';
import { basicHeader } from '../../src/connectors/restAuth';
import { startSandbox, testConfig, type TestSandbox } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { runProductSync, runWorkflow, uniqueTaskQueue } from '../helpers/worker';
import { demandMapping } from '../../workflows/demandMapping';
import { demandStatus } from '../../workflows/demandStatus';
import { startJiraFake } from '../fakes/jiraFake';
import { inHouseRequirementsSystem, startInHouseRequirementsFake } from '../fakes/inHouseRequirementsFake';

interface Demand {
  id: string;
  pmsRequirementId: string | null;
  pmsStatus: string | null;
}

/** Three accounts: two ask for the same export in other words, one for something else; all on SKU-000003. */
async function seedDemands(sandbox: TestSandbox): Promise<string[]> {
  const rows = [
    ['D-J1', 'A-J1', 'Export reports to Excel'],
    ['D-J2', 'A-J2', 'Excel export for reports'],
    ['D-J3', 'A-J3', 'Single sign-on with Azure AD'],
  ] as const;
  for (const [id, accountId, title] of rows) {
    await sandbox.crmApi('PUT', `/api/accounts/${accountId}`, { name: `Account ${accountId}`, segment: 'enterprise', annualValue: 50_000 });
    await sandbox.crmApi('PUT', `/api/demands/${id}`, {
      title,
      description: '',
      kind: 'feature-request',
      skus: ['SKU-000003'],
      priority: 'high',
      accountId,
      contactId: null,
      status: 'open',
    });
  }
  return rows.map(([id]) => id);
}

async function crmDemands(sandbox: TestSandbox, ids: string[]): Promise<Demand[]> {
  return ((await sandbox.crmApi('POST', '/api/demands/batch/read', { ids })) as { results: Demand[] }).results;
}

describe('demand syncs into Jira and a rest requirement store (fakes over HTTP), on the real Temporal server', () => {
  const temporal = useTemporalServer();

  test('Jira: demands become issues with remote links, a second run writes nothing, and demandStatus carries the issue status back', async () => {
    const sandbox = await startSandbox({ products: 10 });
    const authorization = basicHeader('bridge@example.com', 'jira-token');
    const jira = await startJiraFake({ authorization, maxPage: 2 });
    try {
      const base = testConfig(sandbox, uniqueTaskQueue('jira-demands'));
      const config = configSchema.parse({
        ...base,
        systems: {
          ...base.systems,
          jira: {
            kind: 'jira',
            url: jira.url,
            token: 'jira-token',
            auth: { type: 'basic', email: 'bridge@example.com' },
            project: 'PROD',
            scoreField: 'customfield_10050',
            demandUrl: 'https://crm.example.com/demands/{demandId}',
          },
        },
        demandSyncs: [{ ...base.demandSyncs[0], pms: 'jira' }],
      });
      await runProductSync(temporal.env, config);
      const ids = await seedDemands(sandbox);

      const first = await runWorkflow(temporal.env, config, demandMapping);
      assert.equal(first.status, 'Completed');
      assert.deepEqual([first.demands.created, first.demands.linked, first.demands.failed], [2, 1, 0]);
      assert.equal(jira.issues.size, 2);
      const exportIssue = [...jira.issues.values()].find((issue) => issue.remoteLinks.length === 2)!;
      assert.deepEqual(exportIssue.remoteLinks.map((l) => l.globalId).sort(), ['crm-pms-bridge:demand:D-J1', 'crm-pms-bridge:demand:D-J2']);
      assert.ok(exportIssue.labels.includes('crm-product-P-000003'));
      assert.equal(typeof exportIssue.custom.customfield_10050, 'number');

      const writes = jira.writes();
      const second = await runWorkflow(temporal.env, config, demandMapping, { watermark: null });
      assert.deepEqual([second.demands.created, second.demands.linked, second.demands.updated, second.demands.unchanged], [0, 0, 0, 3]);
      assert.equal(jira.writes(), writes, 'the second run writes nothing to Jira');

      await runWorkflow(temporal.env, config, demandStatus);
      jira.setStatus(exportIssue.key, 'Released', 'done');
      const status = await runWorkflow(temporal.env, config, demandStatus);
      assert.equal(status.counts.updated, 2);
      const after = await crmDemands(sandbox, ids);
      for (const demand of after) {
        const onExport = demand.id !== 'D-J3';
        assert.equal(demand.pmsStatus, onExport ? 'Released' : 'To Do', demand.id);
        if (onExport) assert.equal(demand.pmsRequirementId, exportIssue.key);
      }
    } finally {
      await jira.close();
      await sandbox.close();
    }
  });

  test('rest: demands become requirements in the in-house PMS, a second run writes nothing, and demandStatus carries its status back', async () => {
    const sandbox = await startSandbox({ products: 10 });
    const inHouse = await startInHouseRequirementsFake({ token: 'in-house-token' });
    try {
      const base = testConfig(sandbox, uniqueTaskQueue('rest-demands'));
      const config = configSchema.parse({
        ...base,
        systems: { ...base.systems, inhouse: inHouseRequirementsSystem(inHouse.url, 'in-house-token') },
        demandSyncs: [{ ...base.demandSyncs[0], pms: 'inhouse' }],
      });
      await runProductSync(temporal.env, config);
      const ids = await seedDemands(sandbox);

      const first = await runWorkflow(temporal.env, config, demandMapping);
      assert.deepEqual([first.demands.created, first.demands.linked, first.demands.failed], [2, 1, 0]);
      assert.equal(inHouse.requirements.size, 2);
      const exportReq = [...inHouse.requirements.values()].find((r) => r.links.length === 2)!;

      const writes = inHouse.writes();
      const second = await runWorkflow(temporal.env, config, demandMapping, { watermark: null });
      assert.deepEqual([second.demands.created, second.demands.linked, second.demands.updated, second.demands.unchanged], [0, 0, 0, 3]);
      assert.equal(inHouse.writes(), writes, 'the second run writes nothing to the in-house PMS');

      await runWorkflow(temporal.env, config, demandStatus);
      inHouse.setState(exportReq.reqId, 'shipped');
      const status = await runWorkflow(temporal.env, config, demandStatus);
      assert.equal(status.counts.updated, 2);
      for (const demand of await crmDemands(sandbox, ids)) {
        assert.equal(demand.pmsStatus, demand.id === 'D-J3' ? 'open' : 'shipped', demand.id);
      }
    } finally {
      await inHouse.close();
      await sandbox.close();
    }
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { demandScore, scoringSchema } from '../../src/domain/demandScore';
import { generateProducts } from '../../src/sandbox/seed';

import { startSandbox, testConfig, type TestSandbox } from '../helpers/sandbox';
import { demandSignalsFor, requirementsFor } from '../helpers/pmsReads';
import { useTemporalServer } from '../helpers/temporalServer';
import { runProductSync, runWorkflow, uniqueTaskQueue } from '../helpers/worker';
import { demandMapping } from '../../workflows/demandMapping';
import { demandStatus } from '../../workflows/demandStatus';

interface Demand {
  id: string;
  title: string;
  pmsRequirementId: string | null;
  pmsStatus: string | null;
}

const wordings = [
  'Export reports to Excel',
  'Excel export for reports',
  'Please let us download our reports as XLSX',
  'Exporting report data into spreadsheets',
  'Need a way to export reports in Excel format',
];
const priorities = ['low', 'medium', 'high', 'critical'] as const;

async function demands(sandbox: TestSandbox, ids: string[]): Promise<Demand[]> {
  return ((await sandbox.crmApi('POST', '/api/demands/batch/read', { ids })) as { results: Demand[] }).results;
}

/** Ten accounts, two of each wording of the same need, plus one unrelated demand; all on SKU-000003. */
async function seedExportDemands(sandbox: TestSandbox): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= 10; i++) {
    const accountId = `A-T${i}`;
    await sandbox.crmApi('PUT', `/api/accounts/${accountId}`, {
      name: `Test Account ${i}`,
      segment: i % 2 ? 'enterprise' : 'smb',
      annualValue: i * 10_000,
    });
    await sandbox.crmApi('PUT', `/api/contacts/C-T${i}`, {
      accountId,
      name: `Contact ${i}`,
      email: `contact${i}@account${i}.example`,
      phone: `+49 30 1234${i}`,
    });
    const id = `D-T${i}`;
    await sandbox.crmApi('PUT', `/api/demands/${id}`, {
      title: wordings[(i - 1) % wordings.length],
      description: '',
      kind: 'feature-request',
      skus: ['SKU-000003'],
      priority: priorities[i % priorities.length],
      accountId,
      contactId: `C-T${i}`,
      status: 'open',
    });
    ids.push(id);
  }
  await sandbox.crmApi('PUT', '/api/demands/D-T99', {
    title: 'Single sign-on with Azure AD',
    description: 'SAML login for our staff',
    kind: 'feature-request',
    skus: ['SKU-000003'],
    priority: 'high',
    accountId: 'A-T1',
    contactId: null,
    status: 'open',
  });
  return [...ids, 'D-T99'];
}

describe('demand mapping and demand status on a real Temporal server and the sandbox systems', () => {
  const temporal = useTemporalServer();

  test('ten accounts asking for the same feature in five wordings end as one requirement with ten linked demands and the right score; an unrelated demand stays separate', async () => {
    const sandbox = await startSandbox({ products: 20 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('demands'));
      await runProductSync(temporal.env, config);
      const ids = await seedExportDemands(sandbox);

      const summary = await runWorkflow(temporal.env, config, demandMapping);
      assert.equal(summary.status, 'Completed');
      assert.deepEqual([summary.demands.created, summary.demands.linked], [2, 9]);

      const requirements = await requirementsFor(sandbox, 'P-000003');
      assert.equal(requirements.length, 2);
      const exportReq = requirements.find((r) => r.demands.length === 10)!;
      const ssoReq = requirements.find((r) => r.demands.length === 1)!;
      assert.ok(exportReq && ssoReq);
      assert.deepEqual(
        ssoReq.demands.map((d) => d.demandId),
        ['D-T99'],
      );
      assert.equal(exportReq.demandScore, demandScore(exportReq.demands, scoringSchema.parse({})));
      assert.equal(
        exportReq.demandScore,
        10 * 10 + 0.1 * 550 + exportReq.demands.reduce((sum, d) => sum + { low: 1, medium: 2, high: 4, critical: 8 }[d.priority], 0),
      );
      const merged = exportReq.demands.filter((d) => d.matchReason);
      assert.equal(merged.length, 9, 'every merge says why');
      assert.match(merged[0]!.matchReason!, /^merged: shares '.*' with the .*; score \d\.\d\d/);
      for (const link of merged) {
        assert.ok(link.matchScore! >= 0.15, `${link.demandId} has its score (at least the default suggestAt)`);
        assert.equal(link.linkState, link.matchScore! >= 0.45 ? 'linked' : 'suggested', `${link.demandId}: ${link.matchReason}`);
      }

      for (const demand of await demands(sandbox, ids)) {
        const expected = demand.id === 'D-T99' ? ssoReq.id : exportReq.id;
        assert.equal(demand.pmsRequirementId, expected, `${demand.id} shows its requirement in the CRM`);
        assert.equal(demand.pmsStatus, 'new');
      }
    } finally {
      await sandbox.close();
    }
  });

  test('a product manager confirms one suggestion and rejects another in the sandbox PMS; the next runs keep both decisions', async () => {
    const sandbox = await startSandbox({ products: 20 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('demands'));
      await runProductSync(temporal.env, config);
      await seedExportDemands(sandbox);
      await runWorkflow(temporal.env, config, demandMapping);
      const exportReq = (await requirementsFor(sandbox, 'P-000003')).find((r) => r.demands.length === 10)!;
      const suggested = exportReq.demands.filter((d) => d.linkState === 'suggested').map((d) => d.demandId);
      assert.ok(suggested.length >= 2, `two suggestions to decide on: ${JSON.stringify(exportReq.demands)}`);
      const [confirm, reject] = suggested as [string, string];
      const decide = (demandId: string, decision: string) =>
        sandbox.pmsApi('POST', `/api/requirements/${exportReq.id}/demands/${demandId}/decision`, { decision });
      await decide(confirm, 'confirm');
      await decide(reject, 'reject');

      // Both demands change in the CRM, so the next run places them again.
      for (const id of [confirm, reject]) {
        const read = (await sandbox.crmApi('POST', '/api/demands/batch/read', { ids: [id] })) as {
          results: Array<Record<string, unknown>>;
        };
        const { title, description, kind, skus, priority, accountId, contactId, status } = read.results[0]!;
        await sandbox.crmApi('PUT', `/api/demands/${id}`, {
          title: `${String(title)} (urgent)`,
          description,
          kind,
          skus,
          priority,
          accountId,
          contactId,
          status,
        });
      }
      await runWorkflow(temporal.env, config, demandMapping);
      await runWorkflow(temporal.env, config, demandMapping);

      const after = await requirementsFor(sandbox, 'P-000003');
      const onExport = after.find((r) => r.id === exportReq.id)!;
      const stateOf = (id: string) => onExport.demands.find((d) => d.demandId === id)?.linkState;
      assert.deepEqual([stateOf(confirm), stateOf(reject)], ['confirmed', 'rejected']);
      const elsewhere = after.filter((r) => r.id !== exportReq.id && r.demands.some((d) => d.demandId === reject));
      assert.equal(elsewhere.length, 1, 'the rejected demand got a requirement of its own');
      assert.equal((await demands(sandbox, [reject]))[0]!.pmsRequirementId, elsewhere[0]!.id, 'the CRM shows where it went');
    } finally {
      await sandbox.close();
    }
  });

  test('re-running changes nothing, and orders are never double-counted across re-runs, retried writes or edits', async () => {
    const sandbox = await startSandbox({ products: 20, pmsFaults: { errorAfterWriteRate: 0.3 } });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('rerun'));
      await runProductSync(temporal.env, config);
      await seedExportDemands(sandbox);
      const lines = [
        {
          id: 'O-T1',
          orderedAt: '2026-10-05T10:00:00Z',
          lines: [
            { sku: 'SKU-000003', quantity: 5 },
            { sku: 'SKU-000004', quantity: 2 },
            { sku: 'SKU-000003', quantity: 1 },
          ],
        },
        { id: 'O-T2', orderedAt: '2026-10-20T10:00:00Z', lines: [{ sku: 'SKU-000003', quantity: 7 }] },
        { id: 'O-T3', orderedAt: '2026-11-02T10:00:00Z', lines: [{ sku: 'SKU-000004', quantity: 4 }] },
      ];
      for (const order of lines)
        await sandbox.crmApi('PUT', `/api/orders/${order.id}`, { accountId: 'A-T1', orderedAt: order.orderedAt, lines: order.lines });

      const input = { retry: { initialIntervalMs: 50, maximumIntervalMs: 200, maximumAttempts: 30 } };
      const first = await runWorkflow(temporal.env, config, demandMapping, input);
      assert.equal(first.orders.fetched, 3);
      const second = await runWorkflow(temporal.env, config, demandMapping, { ...input, watermark: null });
      assert.deepEqual([second.demands.created, second.demands.linked, second.demands.updated, second.demands.unchanged], [0, 0, 0, 11]);
      assert.equal((await requirementsFor(sandbox, 'P-000003')).length, 2, 'no duplicate requirement');

      assert.deepEqual(await demandSignalsFor(sandbox, 'P-000003'), [['2026-10', 13]]);
      assert.deepEqual((await demandSignalsFor(sandbox, 'P-000004')).sort(), [
        ['2026-10', 2],
        ['2026-11', 4],
      ]);

      // The customer edits an order: it no longer contains SKU-000004. Its old contribution goes.
      await sandbox.crmApi('PUT', '/api/orders/O-T1', {
        accountId: 'A-T1',
        orderedAt: '2026-10-05T10:00:00Z',
        lines: [{ sku: 'SKU-000003', quantity: 6 }],
      });
      await runWorkflow(temporal.env, config, demandMapping, input);
      assert.deepEqual(await demandSignalsFor(sandbox, 'P-000003'), [['2026-10', 13]]);
      assert.deepEqual(await demandSignalsFor(sandbox, 'P-000004'), [['2026-11', 4]]);
    } finally {
      await sandbox.close();
    }
  });

  test('long demand texts are paged within the byte budget, with the same outcome', async () => {
    const sandbox = await startSandbox({ products: 20 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('budget'));
      await runProductSync(temporal.env, config);
      const ids = await seedExportDemands(sandbox);
      // Each demand's own words, said sixty times: long texts that still ask what they asked.
      for (const id of ids) {
        const { results } = (await sandbox.crmApi('POST', '/api/demands/batch/read', { ids: [id] })) as {
          results: Array<{ title: string; description?: string }>;
        };
        const own = `${results[0]!.title}. ${results[0]!.description ?? ''}`;
        await sandbox.crmApi('PUT', `/api/demands/${id}`, { ...results[0], description: Array(60).fill(own).join(' ') });
      }
      const summary = await runWorkflow(temporal.env, config, demandMapping, { maxPageBytes: 10_000 });
      assert.ok(summary.pages >= 4, `a page of 11 long demands is split (pages: ${summary.pages})`);
      assert.deepEqual([summary.demands.created, summary.demands.linked, summary.demands.rejected], [2, 9, 0]);
    } finally {
      await sandbox.close();
    }
  });

  test('a demand for an unknown product is rejected with its reason while the rest land', async () => {
    const sandbox = await startSandbox({ products: 20 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('unknown'));
      await runProductSync(temporal.env, config);
      await seedExportDemands(sandbox);
      await sandbox.crmApi('PUT', '/api/demands/D-X', {
        title: 'Longer cable',
        kind: 'need',
        skus: ['SKU-999999'],
        priority: 'low',
        accountId: 'A-T2',
        contactId: null,
        status: 'open',
      });
      const summary = await runWorkflow(temporal.env, config, demandMapping);
      assert.equal(summary.demands.rejected, 1);
      assert.equal(summary.rejected[0]?.id, 'D-X');
      assert.match(summary.rejected[0].reason, /SKU-999999, which neither the CRM nor the PMS knows; not guessed/);
      assert.equal(summary.demands.created + summary.demands.linked, 11);
      assert.equal((await demands(sandbox, ['D-X']))[0]?.pmsRequirementId, null);
    } finally {
      await sandbox.close();
    }
  });

  test('a demand for a product the PMS has but the CRM not yet waits for the product sync instead of being lost', async () => {
    const sandbox = await startSandbox({ products: 20 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('pending'));
      await runProductSync(temporal.env, config);
      const [extra] = generateProducts(1, 5, 21);
      await sandbox.putProduct(extra!.id, extra!);
      await seedExportDemands(sandbox);
      await sandbox.crmApi('PUT', '/api/demands/D-NEW', {
        title: 'Wall mount kit',
        kind: 'need',
        skus: [extra!.sku],
        priority: 'medium',
        accountId: 'A-T3',
        contactId: null,
        status: 'open',
      });

      const first = await runWorkflow(temporal.env, config, demandMapping);
      assert.equal(first.status, 'CompletedWithFailures');
      assert.deepEqual(
        first.failed.map((f) => f.id),
        ['D-NEW'],
      );
      assert.match(first.failed[0]!.reason, /in the PMS but not yet in the CRM .*the next run retries it/);
      assert.equal(first.demands.rejected, 0);

      await runProductSync(temporal.env, config);
      const second = await runWorkflow(temporal.env, config, demandMapping, { watermark: first.watermark });
      assert.equal(second.status, 'Completed');
      assert.equal(
        (await demands(sandbox, ['D-NEW']))[0]?.pmsRequirementId !== null,
        true,
        'the demand landed once its product was synced',
      );
    } finally {
      await sandbox.close();
    }
  });

  test('a requirement released in the PMS shows released on all its linked demands after one demandStatus run, and nothing else on them changes', async () => {
    const sandbox = await startSandbox({ products: 20 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('status'));
      await runProductSync(temporal.env, config);
      const ids = await seedExportDemands(sandbox);
      await runWorkflow(temporal.env, config, demandMapping);
      const first = await runWorkflow(temporal.env, config, demandStatus);
      const exportReq = (await requirementsFor(sandbox, 'P-000003')).find((r) => r.demands.length === 10)!;
      const before = await demands(sandbox, ids);

      await sandbox.pmsApi('PATCH', `/api/requirements/${exportReq.id}`, { status: 'released' });
      const status = await runWorkflow(temporal.env, config, demandStatus, {});
      assert.equal(status.counts.updated, 10);
      assert.ok(first.watermark, 'the status run keeps a watermark');
      const after = await demands(sandbox, ids);
      for (const demand of after) {
        const previous = before.find((d) => d.id === demand.id)!;
        assert.equal(demand.pmsStatus, demand.id === 'D-T99' ? 'new' : 'released');
        assert.equal(demand.title, previous.title, 'the CRM owns demand content; it is never overwritten');
      }
    } finally {
      await sandbox.close();
    }
  });

  test('a contact field named in the configuration travels with the demand, and only that one', async () => {
    const sandbox = await startSandbox({ products: 20 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('contact'), {
        demandSyncs: [{ id: 'demands', crm: 'crm', pms: 'pms', contactFields: ['name'] }],
      });
      await runProductSync(temporal.env, config);
      await seedExportDemands(sandbox);
      await runWorkflow(temporal.env, config, demandMapping);
      const exportReq = (await requirementsFor(sandbox, 'P-000003')).find((r) => r.demands.length === 10)!;
      const link = exportReq.demands.find((d) => d.demandId === 'D-T4') as unknown as { contact?: Record<string, string> };
      assert.deepEqual(link.contact, { name: 'Contact 4' });
    } finally {
      await sandbox.close();
    }
  });

  test('no contact name, e-mail or phone reaches the PMS after a full run on the seeded customers', async () => {
    const sandbox = await startSandbox({ products: 500, customers: true });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('privacy'));
      await runProductSync(temporal.env, config);
      const summary = await runWorkflow(temporal.env, config, demandMapping);
      assert.ok(summary.demands.created > 0 && summary.demands.linked > 0, 'the seeded demands were mapped and merged');
      const contacts = sandbox.crm.customers.allContacts();
      assert.ok(contacts.length > 0);
      const pmsFile = readFileSync(path.join(sandbox.dir, 'pms.db')).toString('latin1');
      for (const contact of contacts) {
        assert.ok(!pmsFile.includes(contact.email), `e-mail of ${contact.id} leaked to the PMS`);
        assert.ok(!pmsFile.includes(contact.phone), `phone of ${contact.id} leaked to the PMS`);
        assert.ok(!pmsFile.includes(contact.name), `name of ${contact.id} leaked to the PMS`);
      }
    } finally {
      await sandbox.close();
    }
  });
});

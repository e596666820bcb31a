import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../src/config/configSchema';
import { validatePmsProduct } from '../../src/domain/validation';

import { pmsToken, startSandbox } from '../helpers/sandbox';
import { demandSignalsFor, requirementsFor } from '../helpers/pmsReads';
import { useTemporalServer } from '../helpers/temporalServer';
import { runProductSync, runWorkflow, uniqueTaskQueue } from '../helpers/worker';
import { startSalesforceFake, type SalesforceFake } from '../fakes/salesforceFake';
import { demandMapping } from '../../workflows/demandMapping';
import { demandStatus } from '../../workflows/demandStatus';

function caseLink(salesforce: SalesforceFake, id: string): [unknown, unknown] {
  const record = salesforce.records.get('Case')!.get(id)!;
  return [record.PMS_Requirement_Id__c, record.PMS_Status__c];
}

describe('demandMapping and demandStatus from Salesforce Cases (fake) into the sandbox PMS, on the real Temporal server', () => {
  const temporal = useTemporalServer();

  test('Cases become requirements (similar ones merged), the requirement and its status land on each Case, Activated orders become demand signals, and a PMS decision flows back', async () => {
    const sandbox = await startSandbox({ products: 40 });
    // What an administrator sets up in Salesforce before the first run (see docs/connectors/salesforce.md).
    const salesforce = await startSalesforceFake({
      clientId: 'bridge',
      clientSecret: 's3cret',
      customFields: { Product2: ['PMS_Id__c'], Case: ['Demand_Kind__c', 'Demand_SKUs__c', 'PMS_Requirement_Id__c', 'PMS_Status__c'] },
    });
    try {
      const config = configSchema.parse(
        parseYaml(`
logLevel: warn
temporal: { taskQueue: ${uniqueTaskQueue('salesforce-demands')} }
systems:
  pms: { kind: sandbox-pms, url: ${sandbox.pmsUrl}, token: ${pmsToken} }
  salesforce:
    kind: salesforce
    url: ${salesforce.url}
    auth: { type: oauth2-client-credentials, tokenUrl: '${salesforce.url}/services/oauth2/token', clientId: bridge, clientSecret: s3cret }
    products: { externalIdField: PMS_Id__c }
    demands: { types: [Feature Request] }
productSyncs:
  - id: products
    source: pms
    target: salesforce
    mapping: { Name: name, ProductCode: sku }
demandSyncs:
  - id: salesforce-demands
    crm: salesforce
    pms: pms
`) as unknown,
      );
      // Product sync first: SKUs on Cases resolve through the Product2 records it keeps.
      await runProductSync(temporal.env, config);
      const [exportProduct, otherProduct] = sandbox.pmsProducts().filter((p) => !p.deleted && validatePmsProduct(p).ok);
      assert.ok(exportProduct && otherProduct);
      const product2Of = (pmsId: string) => [...salesforce.records.get('Product2')!.values()].find((p) => p.PMS_Id__c === pmsId)!.Id;

      const enterprise = salesforce.createRecord('Account', { Name: 'Acme GmbH', Industry: 'enterprise', AnnualRevenue: 200_000 });
      const smb = salesforce.createRecord('Account', { Name: 'Corner Shop', Industry: 'smb', AnnualRevenue: 5_000 });
      const newCase = (account: string | null, subject: string, skus: string, priority = 'High', type = 'Feature Request') =>
        salesforce.createRecord('Case', {
          Subject: subject,
          Description: '',
          Type: type,
          Status: 'New',
          Priority: priority,
          AccountId: account,
          Demand_Kind__c: 'feature-request',
          Demand_SKUs__c: skus,
        });
      const exportA = newCase(enterprise, 'Export reports to Excel', String(exportProduct.sku), 'Critical');
      const exportB = newCase(smb, 'Excel export for reports', String(exportProduct.sku), 'Low');
      const sso = newCase(enterprise, 'Single sign-on with Azure AD', String(otherProduct.sku));
      const unknownSku = newCase(enterprise, 'Something else', 'SKU-NOT-ANYWHERE');
      const noAccount = newCase(null, 'Nobody asked', String(otherProduct.sku));
      const support = newCase(enterprise, 'Printer jammed', String(otherProduct.sku), 'High', 'Problem');
      const order = salesforce.createRecord('Order', { AccountId: enterprise, EffectiveDate: '2026-10-15', Status: 'Activated' });
      salesforce.createRecord('OrderItem', { OrderId: order, Product2Id: product2Of(exportProduct.id), Quantity: 7, UnitPrice: 10 });

      const run = { integrationId: 'salesforce-demands' };
      const first = await runWorkflow(temporal.env, config, demandMapping, run);
      assert.equal(first.status, 'Completed', 'rejected records are reported, not retried');
      assert.deepEqual(
        { created: first.demands.created, linked: first.demands.linked, rejected: first.demands.rejected },
        { created: 2, linked: 1, rejected: 2 },
      );
      assert.deepEqual(first.rejected.map((r) => r.id).sort(), [unknownSku, noAccount].sort());
      assert.match(first.rejected.find((r) => r.id === unknownSku)!.reason, /SKU-NOT-ANYWHERE, which neither the CRM nor the PMS knows/);
      assert.match(first.rejected.find((r) => r.id === noAccount)!.reason, /has no account/);

      const [exportRequirement] = await requirementsFor(sandbox, exportProduct.id);
      assert.ok(exportRequirement);
      assert.deepEqual(
        exportRequirement.demands.map((d) => [d.demandId, d.accountName, d.segment, d.accountValue, d.priority]),
        [
          [exportA, 'Acme GmbH', 'enterprise', 200_000, 'critical'],
          [exportB, 'Corner Shop', 'smb', 5_000, 'low'],
        ],
      );
      assert.deepEqual(caseLink(salesforce, exportA), [exportRequirement.id, exportRequirement.status]);
      assert.deepEqual(caseLink(salesforce, exportB), [exportRequirement.id, exportRequirement.status]);
      const [ssoRequirement] = await requirementsFor(sandbox, otherProduct.id);
      assert.deepEqual(caseLink(salesforce, sso), [ssoRequirement!.id, ssoRequirement!.status]);
      assert.equal(ssoRequirement!.demands.length, 1, 'the support Case of another type is not a demand');
      assert.deepEqual(caseLink(salesforce, support), [undefined, undefined]);

      assert.deepEqual(await demandSignalsFor(sandbox, exportProduct.id), [['2026-10', 7]]);

      // A second run finds the link writes (SystemModstamp moved) and changes nothing.
      const writes = () => salesforce.requests.filter((r) => r.startsWith('PATCH') && r.endsWith('/composite/sobjects')).length;
      const writesBefore = writes();
      const second = await runWorkflow(temporal.env, config, demandMapping, run);
      assert.equal(second.demands.created + second.demands.linked + second.demands.updated, 0);
      assert.equal(writes(), writesBefore, 'no Case written again');

      // The product team decides in the PMS; demandStatus carries it onto both Cases, and only the link fields change.
      await runWorkflow(temporal.env, config, demandStatus, run);
      await sandbox.pmsApi('PATCH', `/api/requirements/${exportRequirement.id}`, { status: 'planned' });
      const status = await runWorkflow(temporal.env, config, demandStatus, run);
      assert.equal(status.counts.updated, 2);
      assert.deepEqual(caseLink(salesforce, exportA), [exportRequirement.id, 'planned']);
      assert.deepEqual(caseLink(salesforce, exportB), [exportRequirement.id, 'planned']);
      assert.equal(salesforce.records.get('Case')!.get(exportA)!.Subject, 'Export reports to Excel');
      assert.deepEqual(caseLink(salesforce, sso), [ssoRequirement!.id, ssoRequirement!.status], 'other Cases keep their status');
    } finally {
      await salesforce.close();
      await sandbox.close();
    }
  });
});

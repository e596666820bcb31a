import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../src/config/configSchema';
import { validatePmsProduct } from '../../src/domain/validation';

import { pmsToken, startSandbox } from '../helpers/sandbox';
import { demandSignalsFor, requirementsFor } from '../helpers/pmsReads';
import { useTemporalServer } from '../helpers/temporalServer';
import { runProductSync, runWorkflow, uniqueTaskQueue } from '../helpers/worker';
import { startHubSpotFake, type HubSpotFake } from '../fakes/hubspotFake';
import { demandMapping } from '../../workflows/demandMapping';
import { demandStatus } from '../../workflows/demandStatus';

function ticketLink(hubspot: HubSpotFake, id: string): [string | null | undefined, string | null | undefined] {
  const { properties } = hubspot.objects.tickets.get(id)!;
  return [properties.bridge_pms_requirement_id, properties.bridge_pms_status];
}

describe('demandMapping and demandStatus from HubSpot tickets (fake) into the sandbox PMS, on the real Temporal server', () => {
  const temporal = useTemporalServer();

  test('tickets become requirements (similar ones merged), the requirement and its status land on each ticket, won deals become demand signals, and a PMS decision flows back', async () => {
    const sandbox = await startSandbox({ products: 40 });
    // Search shows writes late, as in HubSpot (shorter here), and the change feeds hold back what has not settled.
    const hubspot = await startHubSpotFake({ token: 'pat-demands', searchIndexDelayMs: 200 });
    const settleMs = 500;
    const settled = async () => {
      await hubspot.indexed();
      await sleep(settleMs);
    };
    // What an administrator sets up in HubSpot before the first run (see docs/connectors/hubspot.md).
    hubspot.addObjectProperty('tickets', 'bridge_demand_kind', 'enumeration');
    hubspot.addObjectProperty('tickets', 'bridge_demand_skus', 'string');
    try {
      const config = configSchema.parse(
        parseYaml(`
logLevel: warn
temporal: { taskQueue: ${uniqueTaskQueue('hubspot-demands')} }
systems:
  pms: { kind: sandbox-pms, url: ${sandbox.pmsUrl}, token: ${pmsToken} }
  hubspot: { kind: hubspot, url: ${hubspot.url}, token: pat-demands, changeSettleMs: ${settleMs} }
productSyncs:
  - id: products
    source: pms
    target: hubspot
    mapping: { name: name, hs_sku: sku }
demandSyncs:
  - id: hubspot-demands
    crm: hubspot
    pms: pms
`) as unknown,
      );
      // Product sync first: SKUs on tickets resolve through the products it keeps in HubSpot.
      await runProductSync(temporal.env, config);
      const [exportProduct, otherProduct] = sandbox.pmsProducts().filter((p) => !p.deleted && validatePmsProduct(p).ok);
      assert.ok(exportProduct && otherProduct);

      const enterprise = hubspot.createRecord('companies', { name: 'Acme GmbH', industry: 'enterprise', annualrevenue: '200000' });
      const smb = hubspot.createRecord('companies', { name: 'Corner Shop', industry: 'smb', annualrevenue: '5000' });
      const ticket = (company: string | null, subject: string, skus: string, priority = 'HIGH') => {
        const id = hubspot.createRecord('tickets', {
          subject,
          content: '',
          hs_pipeline: '0',
          hs_pipeline_stage: '1',
          hs_ticket_priority: priority,
          bridge_demand_kind: 'feature-request',
          bridge_demand_skus: skus,
        });
        if (company) hubspot.associate('tickets', id, 'companies', company, true);
        return id;
      };
      const exportA = ticket(enterprise, 'Export reports to Excel', String(exportProduct.sku), 'URGENT');
      const exportB = ticket(smb, 'Excel export for reports', String(exportProduct.sku), 'LOW');
      const darkMode = ticket(enterprise, 'Single sign-on with Azure AD', String(otherProduct.sku));
      const unknownSku = ticket(enterprise, 'Something else', 'SKU-NOT-ANYWHERE');
      const noCompany = ticket(null, 'Nobody asked', String(otherProduct.sku));
      const deal = hubspot.createRecord('deals', { dealname: 'Acme Q4', dealstage: 'closedwon', closedate: '2026-10-15T09:00:00.000Z' });
      hubspot.associate('deals', deal, 'companies', enterprise, true);
      hubspot.associate(
        'deals',
        deal,
        'line_items',
        hubspot.createRecord('line_items', { hs_sku: String(exportProduct.sku), quantity: '7' }),
      );

      const run = { integrationId: 'hubspot-demands' };
      await settled();
      const first = await runWorkflow(temporal.env, config, demandMapping, run);
      assert.equal(first.status, 'Completed', 'rejected records are reported, not retried');
      assert.deepEqual(
        { created: first.demands.created, linked: first.demands.linked, rejected: first.demands.rejected },
        { created: 2, linked: 1, rejected: 2 },
      );
      assert.deepEqual(first.rejected.map((r) => r.id).sort(), [unknownSku, noCompany].sort());
      assert.match(first.rejected.find((r) => r.id === unknownSku)!.reason, /SKU-NOT-ANYWHERE, which neither the CRM nor the PMS knows/);
      assert.match(first.rejected.find((r) => r.id === noCompany)!.reason, /has no account/);

      const [exportRequirement] = await requirementsFor(sandbox, exportProduct.id);
      assert.ok(exportRequirement);
      assert.deepEqual(
        exportRequirement.demands.map((d) => [d.demandId, d.accountName, d.segment, d.accountValue, d.priority]),
        [
          [exportA, 'Acme GmbH', 'enterprise', 200_000, 'critical'],
          [exportB, 'Corner Shop', 'smb', 5_000, 'low'],
        ],
      );
      assert.deepEqual(ticketLink(hubspot, exportA), [exportRequirement.id, exportRequirement.status]);
      assert.deepEqual(ticketLink(hubspot, exportB), [exportRequirement.id, exportRequirement.status]);
      const [ssoRequirement] = await requirementsFor(sandbox, otherProduct.id);
      assert.deepEqual(ticketLink(hubspot, darkMode), [ssoRequirement!.id, ssoRequirement!.status]);
      assert.equal(
        hubspot.objects.tickets.get(unknownSku)!.properties.bridge_pms_requirement_id,
        undefined,
        'a rejected ticket gets no link',
      );

      assert.deepEqual(await demandSignalsFor(sandbox, exportProduct.id), [['2026-10', 7]]);

      // A second run finds the link writes (HubSpot moved hs_lastmodifieddate) and changes nothing.
      const updatesBefore = hubspot.requests.filter((r) => r === 'POST /crm/v3/objects/tickets/batch/update').length;
      await settled();
      const second = await runWorkflow(temporal.env, config, demandMapping, run);
      assert.equal(second.demands.created + second.demands.linked + second.demands.updated, 0);
      assert.equal(
        hubspot.requests.filter((r) => r === 'POST /crm/v3/objects/tickets/batch/update').length,
        updatesBefore,
        'no ticket written again',
      );
      assert.equal((await requirementsFor(sandbox, exportProduct.id)).length, 1);

      // The product team decides in the PMS; demandStatus carries it onto both tickets, and only the link fields change.
      await runWorkflow(temporal.env, config, demandStatus, run);
      await sandbox.pmsApi('PATCH', `/api/requirements/${exportRequirement.id}`, { status: 'planned' });
      const status = await runWorkflow(temporal.env, config, demandStatus, run);
      assert.equal(status.counts.updated, 2);
      assert.deepEqual(ticketLink(hubspot, exportA), [exportRequirement.id, 'planned']);
      assert.deepEqual(ticketLink(hubspot, exportB), [exportRequirement.id, 'planned']);
      assert.equal(hubspot.objects.tickets.get(exportA)!.properties.subject, 'Export reports to Excel');
      assert.deepEqual(ticketLink(hubspot, darkMode), [ssoRequirement!.id, ssoRequirement!.status], 'other tickets keep their status');
    } finally {
      await hubspot.close();
      await sandbox.close();
    }
  });
});

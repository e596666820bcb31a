import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { connectionCheckFor } from '../../src/connectionChecks';
import { configSchema, type BridgeConfig } from '../../src/config/configSchema';
import { basicHeader } from '../../src/connectors/restAuth';
import type { CheckItem } from '../../src/connectors/connectionCheck';
import { startAkeneoFake } from '../fakes/akeneoFake';
import { startJiraFake } from '../fakes/jiraFake';
import { startHubSpotFake, type HubSpotFakeOptions } from '../fakes/hubspotFake';
import { startProductboardFake } from '../fakes/productboardFake';
import { startSalesforceFake, type SalesforceFakeOptions } from '../fakes/salesforceFake';
import { bridge } from '../helpers/bridgeCli';
import { crmToken, pmsToken, startSandbox } from '../helpers/sandbox';

/** `bridge check <system>` against each vendor fake, with a well-configured and a badly-configured account. */

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A configuration in which `system` (YAML) is the target of a product sync and, with `demands`, the CRM of a demand sync. */
function configWith(system: string, options: { demands?: boolean; source?: boolean } = {}): BridgeConfig {
  return configSchema.parse(
    parseYaml(`
logLevel: warn
systems:
  pms: { kind: sandbox-pms, url: http://127.0.0.1:9, token: unused }
  crm: { kind: sandbox-crm, url: http://127.0.0.1:9, token: unused }
  target: ${system}
productSyncs:
  - id: products
    source: ${options.source ? 'target' : 'pms'}
    target: ${options.source ? 'crm' : 'target'}
    mapping: { name: name }
${options.demands ? 'demandSyncs:\n  - { id: demands, crm: target, pms: pms }' : ''}
`) as unknown,
  );
}

const byName = (items: CheckItem[]) => new Map(items.map((item) => [item.name, item]));
const failed = (items: CheckItem[]) => items.filter((item) => !item.ok).map((item) => item.name);

async function hubspot(options: Partial<HubSpotFakeOptions> = {}) {
  const fake = await startHubSpotFake({ token: 'pat-check', searchIndexDelayMs: 20, ...options });
  closers.push(() => fake.close());
  return fake;
}

describe('bridge check: HubSpot', () => {
  test('a well-configured account passes every requirement, with the daily limit headroom HubSpot reports', async () => {
    const fake = await hubspot();
    fake.addProperty('bridge_external_id', 'string', true);
    fake.addObjectProperty('tickets', 'bridge_demand_kind', 'enumeration');
    fake.addObjectProperty('tickets', 'bridge_demand_skus', 'string');
    const items = await connectionCheckFor(
      configWith(`{ kind: hubspot, url: ${fake.url}, token: pat-check }`, { demands: true }),
      'target',
    ).check();
    assert.deepEqual(failed(items), []);
    const found = byName(items);
    assert.match(found.get('product property bridge_external_id (products.idProperty)')!.detail, /unique/);
    assert.match(found.get('daily API limit headroom')!.detail, /of 625000 requests left/);
    assert.ok(found.has('ticket property bridge_demand_skus'));
  });

  test('a missing id property it may not create, missing ticket scopes and a spent daily limit are each reported with a fix', async () => {
    const fake = await hubspot({ missingScopes: ['tickets'] });
    fake.useDailyRequests(620_000);
    const items = await connectionCheckFor(
      configWith(`{ kind: hubspot, url: ${fake.url}, token: pat-check, products: { createIdProperty: false } }`, { demands: true }),
      'target',
    ).check();
    assert.deepEqual(failed(items), [
      'product property bridge_external_id (products.idProperty)',
      'scope tickets',
      'daily API limit headroom',
    ]);
    for (const item of items.filter((i) => !i.ok)) assert.ok(item.fix, `${item.name} says how to fix it`);
  });

  test('a token HubSpot refuses fails the credentials and stops there', async () => {
    const fake = await hubspot();
    const items = await connectionCheckFor(configWith(`{ kind: hubspot, url: ${fake.url}, token: pat-wrong }`), 'target').check();
    assert.deepEqual(
      items.map((i) => [i.name, i.ok]),
      [['credentials', false]],
    );
    assert.match(items[0]!.fix!, /token/);
  });
});

describe('bridge check: Salesforce', () => {
  async function salesforce(options: Partial<SalesforceFakeOptions> = {}) {
    const fake = await startSalesforceFake({
      clientId: 'bridge',
      clientSecret: 's3cret',
      customFields: { Product2: ['PMS_Id__c'], PricebookEntry: ['PMS_Key__c'] },
      ...options,
    });
    closers.push(() => fake.close());
    const yaml = `{ kind: salesforce, url: ${fake.url}, auth: { type: oauth2-client-credentials, tokenUrl: ${fake.url}/services/oauth2/token, clientId: bridge, clientSecret: s3cret }, products: { externalIdField: PMS_Id__c, pricebook: { pricebook2Id: ${fake.standardPricebookId}, keyField: PMS_Key__c }, bulk: {} } }`;
    return connectionCheckFor(configWith(yaml), 'target').check();
  }

  test('a well-configured org: External ID fields, Bulk API access and API headroom', async () => {
    const items = await salesforce();
    assert.deepEqual(failed(items), []);
    assert.deepEqual(
      items.map((i) => i.name),
      [
        'credentials',
        'Product2 External ID field PMS_Id__c (products.externalIdField)',
        'PricebookEntry External ID field PMS_Key__c (products.pricebook.keyField)',
        'Bulk API 2.0 access (products.bulk)',
        'daily API limit headroom',
      ],
    );
  });

  test('a field not marked External ID and a user without Bulk API access are reported with a fix', async () => {
    const items = await salesforce({ plainCustomFields: ['PMS_Id__c'], bulkApiEnabled: false });
    assert.deepEqual(failed(items), [
      'Product2 External ID field PMS_Id__c (products.externalIdField)',
      'Bulk API 2.0 access (products.bulk)',
    ]);
    assert.match(byName(items).get('Product2 External ID field PMS_Id__c (products.externalIdField)')!.fix!, /External ID/);
  });
});

describe('bridge check: Akeneo, Productboard and the sandbox', () => {
  const akeneoCredentials = { clientId: 'bridge_client', secret: 'client-secret', username: 'bridge_user', password: 'user-password' };
  const akeneoYaml = (url: string, channel: string, locale: string) =>
    `{ kind: akeneo, url: ${url}, clientId: bridge_client, secret: client-secret, username: bridge_user, password: user-password, products: { channel: ${channel}, locale: ${locale}, fields: { sku: identifier } } }`;

  test('Akeneo: the channel and its locale exist; an unknown channel or an inactive locale is reported', async () => {
    const fake = await startAkeneoFake({ ...akeneoCredentials, products: 0, channels: { ecommerce: ['en_US', 'de_DE'] } });
    closers.push(() => fake.close());
    const good = await connectionCheckFor(configWith(akeneoYaml(fake.url, 'ecommerce', 'de_DE'), { source: true }), 'target').check();
    assert.deepEqual(failed(good), []);
    const badLocale = await connectionCheckFor(configWith(akeneoYaml(fake.url, 'ecommerce', 'fr_FR'), { source: true }), 'target').check();
    assert.deepEqual(failed(badLocale), ['locale fr_FR (products.locale)']);
    const badChannel = await connectionCheckFor(configWith(akeneoYaml(fake.url, 'print', 'en_US'), { source: true }), 'target').check();
    assert.deepEqual(failed(badChannel), ['channel print (products.channel)', 'locale en_US (products.locale)']);
  });

  test('Productboard: the token and the entity type notes link to; a wrong token fails the credentials', async () => {
    const fake = await startProductboardFake({ token: 'pb-check' });
    closers.push(() => fake.close());
    const good = await connectionCheckFor(configWith(`{ kind: productboard, url: ${fake.url}, token: pb-check }`), 'target').check();
    assert.deepEqual(failed(good), []);
    const bad = await connectionCheckFor(configWith(`{ kind: productboard, url: ${fake.url}, token: pb-wrong }`), 'target').check();
    assert.deepEqual(failed(bad), ['credentials']);
  });

  test('sandbox PMS and CRM: the token reads them, the PMS of a demand sync its requirements; a wrong one fails', async () => {
    const sandbox = await startSandbox({ products: 3 });
    closers.push(() => sandbox.close());
    const config = configSchema.parse(
      parseYaml(`
logLevel: warn
systems:
  pms: { kind: sandbox-pms, url: ${sandbox.pmsUrl}, token: ${pmsToken} }
  crm: { kind: sandbox-crm, url: ${sandbox.crmUrl}, token: ${crmToken} }
  wrong: { kind: sandbox-crm, url: ${sandbox.crmUrl}, token: nope }
productSyncs: [{ id: products, source: pms, target: crm, mapping: { name: name } }]
demandSyncs: [{ id: demands, crm: crm, pms: pms }]
`) as unknown,
    );
    const pms = await connectionCheckFor(config, 'pms').check();
    assert.deepEqual(failed(pms), []);
    assert.match(byName(pms).get('requirements (demandSyncs[].pms)')!.detail, /the requirement feed reads/);
    assert.deepEqual(failed(await connectionCheckFor(config, 'crm').check()), []);
    assert.deepEqual(failed(await connectionCheckFor(config, 'wrong').check()), ['credentials']);
  });
});

describe('bridge check on the command line', () => {
  test('`bridge check <system> --json` prints every requirement and exits 1 when one is missing, 0 when none is', async () => {
    const fake = await hubspot();
    const dir = await mkdtemp(path.join(tmpdir(), 'bridge-check-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'bridge.yaml');
    const yaml = (createIdProperty: boolean) => `
systems:
  pms: { kind: sandbox-pms, url: http://127.0.0.1:9, token: unused }
  hubspot: { kind: hubspot, url: ${fake.url}, token: pat-check, products: { createIdProperty: ${createIdProperty} } }
productSyncs: [{ id: products, source: pms, target: hubspot, mapping: { name: name } }]
`;
    await writeFile(file, yaml(false));
    const missing = await bridge(['check', 'hubspot', '--json'], { BRIDGE_CONFIG: file });
    assert.equal(missing.code, 1, missing.stderr);
    const report = JSON.parse(missing.stdout) as { ok: boolean; items: CheckItem[] };
    assert.equal(report.ok, false);
    assert.deepEqual(failed(report.items), ['product property bridge_external_id (products.idProperty)']);

    await writeFile(file, yaml(true));
    const fine = await bridge(['check', 'hubspot'], { BRIDGE_CONFIG: file });
    assert.equal(fine.code, 0, fine.stderr);
    assert.match(fine.stdout, /hubspot \(HubSpot\): everything the bridge needs is in place/);

    const unknown = await bridge(['check', 'nope'], { BRIDGE_CONFIG: file });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /No system 'nope' in the configuration/);
  });
});

describe('bridge check: Jira', () => {
  const jiraSystem = (url: string, project: string) =>
    `{ kind: jira, url: ${url}, token: api-token, auth: { type: basic, email: bridge@example.com }, project: ${project}, scoreField: customfield_10050, demandUrl: 'https://crm.example.com/demands/{demandId}' }`;

  test('a site with the project, issue type and number score field passes; one without the project fails naming it', async () => {
    const fake = await startJiraFake({ authorization: basicHeader('bridge@example.com', 'api-token') });
    closers.push(() => fake.close());
    const good = await connectionCheckFor(configWith(jiraSystem(fake.url, 'PROD')), 'target').check();
    assert.deepEqual(failed(good), []);
    assert.match(
      byName(good).get('credentials')!.detail,
      /project PROD, its issue type 'Story' and the number field customfield_10050 exist/,
    );

    const bad = await connectionCheckFor(configWith(jiraSystem(fake.url, 'NOPE')), 'target').check();
    assert.deepEqual(failed(bad), ['credentials']);
    assert.match(byName(bad).get('credentials')!.detail, /no project NOPE .*\(project\)/);
    assert.equal(fake.writes(), 0);
  });
});

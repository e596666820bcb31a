import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema } from '../../src/config/configSchema';
import { formatConfigIssues } from '../../src/config/loadConfig';
import { RateLimitPacer, msUntilMidnight } from '../../src/connectors/rateLimitPacer';
import { getPath, renderTemplate, renderUrlPath } from '../../src/connectors/recordPath';
import { nextLink } from '../../src/connectors/restConnector';
import { buildIntegrations } from '../../src/integrations';

const sync = [{ id: 'products', source: 'a', target: 'b' }];

describe('systems: one schema per kind', () => {
  test('the sandbox kinds parse exactly as before, defaults included', () => {
    const config = configSchema.parse({
      systems: {
        a: { kind: 'sandbox-pms', url: 'http://127.0.0.1:1', token: 't' },
        b: { kind: 'sandbox-crm', url: 'http://127.0.0.1:2', token: 't' },
      },
      productSyncs: sync,
    });
    assert.deepEqual(config.systems.b, {
      kind: 'sandbox-crm',
      url: 'http://127.0.0.1:2',
      token: 't',
      timeoutMs: 30_000,
      maxWriteBatch: 100,
      checkFieldLimits: true,
    });
  });

  test('each vendor kind is checked by its own schema, and a misspelt key is named', () => {
    const result = configSchema.safeParse({
      systems: {
        a: {
          kind: 'akeneo',
          url: 'https://pim.example.com',
          clientId: 'c',
          secret: { env: 'S' },
          username: 'u',
          password: { env: 'P' },
          products: { fields: {} },
        },
        b: { kind: 'hubspot', products: { idPropery: 'pim_id' } },
      },
      productSyncs: sync,
    });
    assert.equal(result.success, false);
    assert.match(formatConfigIssues(result.error, 'test'), /systems\.b\.products: Unrecognized key: "idPropery"/);
  });

  test('a HubSpot demand source is configured in YAML alone: defaults fill in, a wrong key or value is named with its path', () => {
    const ok = configSchema.parse({
      systems: { a: { kind: 'sandbox-pms', url: 'http://127.0.0.1:1', token: 't' }, b: { kind: 'hubspot', demands: { pipeline: '0' } } },
      productSyncs: sync,
    });
    const hubspot = ok.systems.b;
    assert.ok(hubspot?.kind === 'hubspot');
    assert.equal(hubspot.demands.properties.skus, 'bridge_demand_skus');
    assert.equal(hubspot.demands.priorityValues.URGENT, 'critical');
    assert.deepEqual(hubspot.demands.orders.stages, ['closedwon']);
    const result = configSchema.safeParse({
      systems: { b: { kind: 'hubspot', demands: { properties: { sku: 'codes' }, kindValues: { Idea: 'wish' } } } },
      productSyncs: sync,
    });
    assert.equal(result.success, false);
    const message = formatConfigIssues(result.error, 'test');
    assert.match(message, /systems\.b\.demands\.properties: Unrecognized key: "sku"/);
    assert.match(message, /systems\.b\.demands\.kindValues\.Idea/);
  });

  test('a Salesforce demand source is configured in YAML alone, its Case fields named with their path when wrong', () => {
    const systems = { a: { kind: 'sandbox-pms', url: 'http://127.0.0.1:1', token: 't' } };
    const ok = configSchema.parse({
      systems: { ...systems, b: { kind: 'salesforce', url: 'https://acme.my.salesforce.com', products: { externalIdField: 'PMS_Id__c' } } },
      productSyncs: sync,
    });
    const salesforce = ok.systems.b;
    assert.ok(salesforce?.kind === 'salesforce');
    assert.equal(salesforce.demands.fields.requirementId, 'PMS_Requirement_Id__c');
    assert.deepEqual(salesforce.demands.orders.statuses, ['Activated']);
    const result = configSchema.safeParse({
      systems: {
        b: {
          kind: 'salesforce',
          url: 'https://acme.my.salesforce.com',
          products: { externalIdField: 'PMS_Id__c' },
          demands: { fields: { skus: 'Demand SKUs' } },
        },
      },
      productSyncs: sync,
    });
    assert.equal(result.success, false);
    assert.match(formatConfigIssues(result.error, 'test'), /systems\.b\.demands\.fields\.skus: a Salesforce field API name/);
  });

  test('a system that cannot hold demands is refused as the CRM of a demand sync, naming the kinds that can', () => {
    const config = configSchema.parse({
      systems: {
        a: { kind: 'sandbox-pms', url: 'http://127.0.0.1:1', token: 't' },
        b: { kind: 'sandbox-crm', url: 'http://127.0.0.1:2', token: 't' },
        pb: { kind: 'productboard', token: 'x' },
      },
      productSyncs: [{ id: 'products', source: 'a', target: 'b' }],
      demandSyncs: [{ id: 'demands', crm: 'pb', pms: 'a' }],
    });
    assert.throws(
      () => buildIntegrations(config, { env: {} }),
      /System 'pb' is a productboard, which cannot be the CRM of a demand sync; use a sandbox-crm, hubspot or salesforce system/,
    );
  });

  test('an unknown kind lists the kinds there are', () => {
    const result = configSchema.safeParse({ systems: { a: { kind: 'odoo', url: 'https://x.example.com' } }, productSyncs: sync });
    assert.equal(result.success, false);
    const message = formatConfigIssues(result.error, 'test');
    for (const kind of ['sandbox-pms', 'rest', 'hubspot', 'salesforce', 'akeneo']) assert.match(message, new RegExp(kind));
  });

  test('a REST source needs pagination of a known style', () => {
    const result = configSchema.safeParse({
      systems: {
        a: { kind: 'rest', url: 'https://erp.example.com', productSource: { path: '/items', pagination: { type: 'infinite-scroll' } } },
      },
      productSyncs: sync,
    });
    assert.equal(result.success, false);
  });
});

describe('REST connector building blocks', () => {
  test('the next link is found among several Link entries, quoted or not', () => {
    assert.equal(nextLink('<https://a/x?p=1>; rel="prev", <https://a/x?p=3>; rel="next"'), 'https://a/x?p=3');
    assert.equal(nextLink('<https://a/x?p=2>; rel=next'), 'https://a/x?p=2');
    assert.equal(nextLink('<https://a/x?p=1>; rel="first"'), undefined);
    assert.equal(nextLink(null), undefined);
  });

  test('body templates put whole values where a $variable stands and leave other text alone', () => {
    const body = renderTemplate(
      { data: { id: '$externalId', attributes: '$properties', price: '$properties.price', kind: 'product', list: ['$archived'] } },
      {
        externalId: 'P-1',
        properties: { name: 'A', price: 3 },
        archived: false,
      },
    );
    assert.deepEqual(body, { data: { id: 'P-1', attributes: { name: 'A', price: 3 }, price: 3, kind: 'product', list: [false] } });
  });

  test('paths read nested values and URL placeholders are encoded', () => {
    assert.equal(getPath({ a: { b: [{ c: 5 }] } }, 'a.b.0.c'), 5);
    assert.equal(getPath({ a: 1 }, 'a.b'), undefined);
    assert.equal(renderUrlPath('/p/{externalId}', { externalId: 'a b/c' }), '/p/a%20b%2Fc');
  });
});

describe('rate-limit pacing', () => {
  test('below the reserve, the rest of the window is spread over its length; above it, nothing waits', async () => {
    let now = 1_000;
    const waits: number[] = [];
    const pacer = new RateLimitPacer(
      5,
      () => now,
      async (ms) => {
        waits.push(ms);
        now += ms;
      },
    );
    pacer.observeWindow(50, 10_000);
    await pacer.wait();
    pacer.observeWindow(4, 10_000);
    await pacer.wait();
    pacer.observeWindow(0, 10_000);
    await pacer.wait();
    assert.deepEqual(waits, [2_500, 10_000]);
  });

  test('the daily reset is the next midnight in the account time zone', () => {
    const at = Date.parse('2026-11-24T22:30:00Z');
    assert.equal(msUntilMidnight('UTC', at), 90 * 60_000);
    assert.equal(msUntilMidnight('Europe/Berlin', at), 30 * 60_000);
    assert.equal(msUntilMidnight('America/New_York', at), (6 * 60 + 30) * 60_000);
  });
});

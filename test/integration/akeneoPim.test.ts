import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { configSchema, type BridgeConfig } from '../../src/config/configSchema';
import type { ChangeCursor } from '../../src/shared/changeCursor';
import { AuthenticationError, RateLimitedError } from '../../src/shared/systemErrors';
import type { ProductSource } from '../../src/connectors/productConnectors';
import type { RawPmsProduct } from '../../src/domain/pmsProduct';
import { validatePmsProduct } from '../../src/domain/validation';
import { buildIntegrations } from '../../src/integrations';
import { crmToken, startSandbox } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { runProductSync, uniqueTaskQueue } from '../helpers/worker';
import { startAkeneoFake, type AkeneoFake } from '../fakes/akeneoFake';

const credentials = { clientId: 'bridge_client', secret: 'client-secret', username: 'bridge_user', password: 'user-password' };
const env = { AKENEO_SECRET: credentials.secret, AKENEO_PASSWORD: credentials.password };

function akeneoYaml(fake: AkeneoFake, password = '{ env: AKENEO_PASSWORD }', secret = '{ env: AKENEO_SECRET }'): string {
  return `
kind: akeneo
url: ${fake.url}
clientId: ${credentials.clientId}
secret: ${secret}
username: ${credentials.username}
password: ${password}
products:
  locale: en_US
  channel: ecommerce
  fields:
    sku: identifier
    name: { attribute: name }
    description: { attribute: description }
    category: categories.0
    price.amount: { attribute: price, currency: EUR, type: number }
    price.currency: { path: family, values: { tools: EUR } }
    stock: { attribute: stock_level, type: number }
    features: { attribute: features, type: list }
    lifecycle: { path: enabled, values: { 'true': active, 'false': discontinued } }
`;
}

function config(fake: AkeneoFake, crmUrl: string, taskQueue: string, password?: string, secret?: string): BridgeConfig {
  return configSchema.parse({
    logLevel: 'warn',
    temporal: { taskQueue },
    systems: { pim: parseYaml(akeneoYaml(fake, password, secret)) as unknown, crm: { kind: 'sandbox-crm', url: crmUrl, token: crmToken } },
    productSyncs: [{ id: 'products', source: 'pim', target: 'crm' }],
  });
}

function sourceOf(fake: AkeneoFake, password?: string): ProductSource {
  return buildIntegrations(config(fake, 'http://127.0.0.1:9', 'unused', password), { env }).products.get('products')!.source;
}

async function readAll(source: ProductSource, limit: number, from: ChangeCursor | null = null) {
  const records: RawPmsProduct[] = [];
  let cursor = from;
  for (;;) {
    const page = await source.listChanged(cursor, limit);
    records.push(...page.records);
    cursor = page.nextCursor ?? cursor;
    if (!page.hasMore) return { records, cursor };
  }
}

describe('Akeneo PIM as a product source', () => {
  let fake: AkeneoFake;
  before(async () => {
    fake = await startAkeneoFake({ ...credentials, products: 250 });
  });
  after(() => fake.close());

  test('reads every product once in (updated, uuid) order, following _links.next.href 100 at a time', async () => {
    const source = sourceOf(fake);
    fake.requests.length = 0;
    const { records } = await readAll(source, 60);
    assert.equal(records.length, 250);
    assert.equal(new Set(records.map((r) => r.id)).size, 250);
    const position = (r: RawPmsProduct) => `${r.updatedAt}|${r.id}`;
    assert.deepEqual(records.map(position), records.map(position).sort());
    assert.equal(fake.requests.length, 3, 'one read of three pages serves the whole run');
    assert.ok(fake.requests.every((r) => r.includes('pagination_type=search_after') && r.includes('limit=100')));
    assert.ok(
      fake.requests.slice(1).every((r) => r.includes('search_after=')),
      'next pages come from _links.next.href',
    );
  });

  test('values are taken for the configured locale and channel, typed, and make valid bridge products', async () => {
    const source = sourceOf(fake);
    const { records } = await readAll(source, 300);
    const sample = records.find((r) => r.sku === 'AK-7')!;
    assert.deepEqual(
      {
        name: sample.name,
        description: sample.description,
        price: sample.price,
        stock: sample.stock,
        features: sample.features,
        lifecycle: sample.lifecycle,
        category: sample.category,
      },
      {
        name: 'Akeneo product 7',
        description: 'Web text 7',
        price: { amount: 17.5, currency: 'EUR' },
        stock: 21,
        features: ['Waterproof', 'Light'],
        lifecycle: 'active',
        category: 'tools',
      },
    );
    assert.equal(records.find((r) => r.sku === 'AK-10')!.lifecycle, 'discontinued');
    assert.ok(records.every((r) => validatePmsProduct(r).ok));
  });

  test('the updated filter brings only what changed after the cursor', async () => {
    const source = sourceOf(fake);
    const { cursor } = await readAll(source, 500);
    const touched = [...fake.products.values()].slice(0, 3).map((p) => p.uuid);
    for (const uuid of touched) fake.touch(uuid, new Date(Date.parse(cursor!.since) + 2000));
    const { records } = await readAll(source, 500, cursor);
    assert.deepEqual(records.map((r) => r.id).sort(), [...touched].sort());
    assert.match(fake.requests.at(-1)!, /updated/);
  });

  test('an expired access token is refreshed with the refresh token; revoked tokens fall back to the password grant', async () => {
    const source = sourceOf(fake);
    await source.listChanged(null, 1);
    const before = fake.tokensIssued();
    fake.expireAccessTokens();
    await source.listChanged({ since: '2030-01-01T00:00:00.000Z', afterId: '' }, 1);
    assert.deepEqual(fake.tokensIssued(), { password: before.password, refresh: before.refresh + 1 });
    fake.revokeEverything();
    await source.listChanged({ since: '2031-01-01T00:00:00.000Z', afterId: '' }, 1);
    assert.equal(fake.tokensIssued().password, before.password + 1);
  });

  test('named products are read by uuid; unknown ones are absent', async () => {
    const source = sourceOf(fake);
    const [a, b] = [...fake.products.values()];
    const found = await source.getByIds([a!.uuid, 'no-such-uuid', b!.uuid]);
    assert.deepEqual(found.map((r) => r.id).sort(), [a!.uuid, b!.uuid].sort());
    assert.ok(found.every((r) => validatePmsProduct(r).ok));
  });

  test('a wrong password is a non-retryable credentials error with Akeneo reason', async () => {
    await assert.rejects(
      sourceOf(fake, 'wrong').listChanged(null, 1),
      (error) => error instanceof AuthenticationError && !error.retryable && /No user found/.test(error.message),
    );
  });

  test('429 waits the Retry-After Akeneo sends', async () => {
    const source = sourceOf(fake);
    fake.rateLimitNext(1, '3');
    await assert.rejects(
      source.listChanged({ since: '2032-01-01T00:00:00.000Z', afterId: '' }, 1),
      (error) => error instanceof RateLimitedError && error.retryAfterMs === 3000,
    );
  });

  test('a page size above the 100 Akeneo allows is refused by the configuration check', () => {
    const yaml = parseYaml(akeneoYaml(fake)) as { products: Record<string, unknown> };
    yaml.products.pageSize = 150;
    const result = configSchema.safeParse({ systems: { pim: yaml }, productSyncs: [{ id: 'p', source: 'pim', target: 'pim' }] });
    assert.equal(result.success, false);
  });
});

describe('productSync from Akeneo (fake) into the sandbox CRM, on the real Temporal server', () => {
  const temporal = useTemporalServer();

  test('every Akeneo product lands in the CRM once, and a re-run writes nothing', async () => {
    const fake = await startAkeneoFake({ ...credentials, products: 180 });
    const sandbox = await startSandbox();
    try {
      // The worker reads secrets from its own environment; literal values keep this test self-contained.
      const bridge = config(fake, sandbox.crmUrl, uniqueTaskQueue('akeneo'), credentials.password, credentials.secret);
      const first = await runProductSync(temporal.env, bridge, { pageSize: 50 });
      assert.equal(first.status, 'Completed');
      assert.equal(first.counts.created, 180);
      assert.equal(sandbox.crm.store.count(), 180);
      const second = await runProductSync(temporal.env, bridge, { watermark: null });
      assert.equal(second.counts.unchanged, 180);
    } finally {
      await sandbox.close();
      await fake.close();
    }
  });
});

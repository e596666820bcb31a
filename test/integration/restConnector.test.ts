import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../src/config/configSchema';
import type { ChangeCursor } from '../../src/shared/changeCursor';
import { AuthenticationError, BatchRejectedError, InvalidResponseError, RateLimitedError } from '../../src/shared/systemErrors';
import type { ProductSink, ProductSource } from '../../src/connectors/productConnectors';
import { buildIntegrations } from '../../src/integrations';
import { startInHouseFake, type InHouseFake } from '../fakes/inHouseApiFake';

const fieldsYaml = `
  fields: { id: productId, name: title, updatedAt: modified, price.amount: pricing.net, price.currency: pricing.cur, stock: qty, lifecycle: state }`;

/** Builds the product source and sink of one REST system from YAML, through the bridge's own wiring. */
function connectors(systemYaml: string, env: NodeJS.ProcessEnv = {}): { source: ProductSource; sink: ProductSink } {
  const config = configSchema.parse({
    systems: { erp: parseYaml(systemYaml) as unknown },
    productSyncs: [{ id: 'products', source: 'erp', target: 'erp' }],
  });
  const integration = buildIntegrations(config, { env }).products.get('products')!;
  return { source: integration.source, sink: integration.sink };
}

function sourceOnly(
  fake: InHouseFake,
  productSource: string,
  auth = `{ type: api-key, header: X-API-Key, key: { env: ERP_KEY } }`,
): ProductSource {
  return connectors(
    `
kind: rest
displayName: ERP
url: ${fake.url}
auth: ${auth}
productSource:${productSource}${fieldsYaml}
productSink:
  read: { mode: single, path: '/products/{externalId}', recordPath: product }
  record: { externalId: id, properties: properties, archived: archived }
  write: { mode: single, method: PUT, path: '/products/{externalId}' }
  count: { path: /products/count, totalPath: count }
`,
    { ERP_KEY: 'key-1' },
  ).source;
}

/** Reads the whole feed page by page the way productSync does: each call from the previous page's cursor. */
async function readAll(source: ProductSource, limit: number): Promise<{ ids: string[]; calls: number }> {
  const ids: string[] = [];
  let cursor: ChangeCursor | null = null;
  let calls = 0;
  for (;;) {
    const page = await source.listChanged(cursor, limit);
    calls += 1;
    ids.push(...page.records.map((record) => record.id));
    cursor = page.nextCursor ?? cursor;
    if (!page.hasMore) return { ids, calls };
  }
}

function feedOrder(fake: InHouseFake): string[] {
  return [...fake.items.values()].sort((a, b) => a.modified - b.modified || a.productId.localeCompare(b.productId)).map((i) => i.productId);
}

describe('REST connector: pagination styles, field paths and incremental reads against an in-house API', () => {
  let fake: InHouseFake;
  before(async () => {
    fake = await startInHouseFake({ auth: 'api-key', apiKey: 'key-1', items: 23 });
  });
  after(() => fake.close());

  const styles: Record<string, string> = {
    'page number': `
  path: /items/page
  limitParam: per_page
  maxPageSize: 5
  sinceParam: modified_since
  sinceFormat: epoch-ms
  recordsPath: items
  pagination: { type: page, param: page, first: 1 }`,
    offset: `
  path: /items/offset
  limitParam: limit
  maxPageSize: 5
  sinceParam: modified_since
  sinceFormat: epoch-ms
  recordsPath: items
  pagination: { type: offset, param: offset }`,
    'Link header': `
  path: /items/link
  limitParam: limit
  maxPageSize: 5
  sinceParam: modified_since
  sinceFormat: epoch-ms
  recordsPath: ''
  pagination: { type: link-header }`,
    'next URL in the body': `
  path: /items/next
  limitParam: limit
  maxPageSize: 5
  sinceParam: modified_since
  sinceFormat: epoch-ms
  recordsPath: result.items
  pagination: { type: next-url, path: next }`,
  };

  for (const [style, yaml] of Object.entries(styles)) {
    test(`${style} pagination reads every record exactly once, in change order, across pages sharing timestamps`, async () => {
      const source = sourceOnly(fake, yaml);
      const { ids } = await readAll(source, 7);
      assert.deepEqual(ids, feedOrder(fake));
    });
  }

  test('records sharing a timestamp in the API own order are never split by a page cut', async () => {
    const source = sourceOnly(
      fake,
      `
  path: /items/tied
  limitParam: limit
  maxPageSize: 5
  sinceParam: modified_since
  sinceFormat: epoch-ms
  recordsPath: items
  pagination: { type: offset, param: offset }`,
    );
    for (const limit of [1, 2, 4, 7]) assert.deepEqual((await readAll(source, limit)).ids, feedOrder(fake), `page size ${limit}`);
  });

  test('field paths move vendor fields to the bridge product shape, and epoch timestamps become ISO instants', async () => {
    const source = sourceOnly(fake, styles['page number']!);
    const page = await source.listChanged(null, 1);
    assert.deepEqual(
      { ...page.records[0] },
      {
        ...fake.items.get('IH-0001'),
        id: 'IH-0001',
        name: 'In-house product 1',
        updatedAt: '2026-11-01T00:00:00.000Z',
        price: { amount: 11, currency: 'EUR' },
        stock: 1,
        lifecycle: 'active',
      },
    );
  });

  test('the incremental parameter asks only for what changed since the cursor', async () => {
    const source = sourceOnly(fake, styles.offset!);
    fake.requests.length = 0;
    const page = await source.listChanged({ since: '2026-11-01T00:00:07.000Z', afterId: 'IH-0021' }, 10);
    assert.deepEqual(
      page.records.map((r) => r.id),
      ['IH-0022', 'IH-0023'],
    );
    assert.equal(page.hasMore, false);
    assert.ok(fake.requests[0]!.includes(`modified_since=${Date.parse('2026-11-01T00:00:07.000Z')}`), fake.requests[0]);
  });

  test('an API not ordered by change time is read to the end and sorted, so paging stays exact', async () => {
    const source = sourceOnly(
      fake,
      `
  path: /items/by-id
  ordered: false
  maxPageSize: 10
  recordsPath: items
  pagination: { type: page, param: page }`,
    );
    assert.equal(source.capabilities.incremental, false);
    assert.deepEqual((await readAll(source, 6)).ids, feedOrder(fake));
  });

  test('without a get endpoint, named products are found by scanning the feed', async () => {
    const source = sourceOnly(fake, styles['page number']!);
    const found = await source.getByIds(['IH-0020', 'missing', 'IH-0005']);
    assert.deepEqual(found.map((r) => [r.id, r.name]).sort(), [
      ['IH-0005', 'In-house product 5'],
      ['IH-0020', 'In-house product 20'],
    ]);
  });

  test('429 becomes a rate-limit error carrying the Retry-After delay', async () => {
    const source = sourceOnly(fake, styles.offset!);
    fake.rateLimitNext(1);
    await assert.rejects(source.listChanged(null, 5), (error) => error instanceof RateLimitedError && error.retryAfterMs === 2000);
  });

  test('an answer without records where the configuration says is rejected with the setting to check', async () => {
    const source = sourceOnly(fake, styles.offset!);
    fake.malformNext();
    await assert.rejects(
      source.listChanged(null, 5),
      (error) => error instanceof InvalidResponseError && /productSource\.recordsPath/.test(error.message),
    );
  });

  test('a wrong API key fails at once as a credentials problem', async () => {
    const source = sourceOnly(fake, styles.offset!, `{ type: api-key, header: X-API-Key, key: wrong-key }`);
    await assert.rejects(source.listChanged(null, 5), (error) => error instanceof AuthenticationError && !error.retryable);
  });

  test('a secret named by an environment variable that is not set stops the wiring with the variable named', () => {
    assert.throws(
      () =>
        connectors(
          `{ kind: rest, url: '${fake.url}', auth: { type: basic, username: u, password: { env: ERP_PASSWORD } }, productSource: { path: /items/page } }`,
          {},
        ),
      /ERP_PASSWORD, which is not set/,
    );
  });
});

describe('REST connector: single-record writes and reads, basic auth', () => {
  let fake: InHouseFake;
  let sink: ProductSink;
  before(async () => {
    fake = await startInHouseFake({ auth: 'basic', username: 'bridge', password: 'pw', items: 0 });
    sink = connectors(
      `
kind: rest
url: ${fake.url}
auth: { type: basic, username: bridge, password: { env: ERP_PASSWORD } }
productSink:
  read: { mode: single, path: '/products/{externalId}', recordPath: product }
  record: { externalId: id, properties: properties, archived: archived }
  write: { mode: single, method: PUT, path: '/products/{externalId}', body: { properties: $properties, archived: $archived } }
  count: { path: /products/count, totalPath: count }
productSource: { path: /items/page }
`,
      { ERP_PASSWORD: 'pw' },
    ).sink;
  });
  after(() => fake.close());

  test('upserts one request per record, reports created from 201, and reads back what it wrote (404 is absent)', async () => {
    const first = await sink.upsertBatch([
      { externalId: 'P 1', properties: { name: 'One', price: 1 } },
      { externalId: 'P-2', properties: { name: 'Two', price: 2 }, archived: true },
    ]);
    assert.deepEqual(first, [
      { externalId: 'P 1', created: true },
      { externalId: 'P-2', created: true },
    ]);
    const again = await sink.upsertBatch([{ externalId: 'P 1', properties: { name: 'One!', price: 1 } }]);
    assert.deepEqual(again, [{ externalId: 'P 1', created: false }]);
    assert.deepEqual(await sink.readByExternalIds(['P 1', 'missing', 'P-2']), [
      { externalId: 'P 1', properties: { name: 'One!', price: 1 }, archived: false },
      { externalId: 'P-2', properties: { name: 'Two', price: 2 }, archived: true },
    ]);
    assert.equal(await sink.count(), 2);
  });

  test('a record the system refuses (422) is reported as a refused batch for the caller to isolate', async () => {
    await assert.rejects(
      sink.upsertBatch([{ externalId: 'P-3', properties: { name: 'x'.repeat(101) } }]),
      (error) => error instanceof BatchRejectedError && error.reason === 'invalid-record' && /at most 100 characters/.test(error.message),
    );
    assert.equal(fake.products.has('P-3'), false);
  });
});

describe('REST connector: OAuth2 client credentials', () => {
  let fake: InHouseFake;
  before(async () => {
    fake = await startInHouseFake({ auth: 'oauth2', clientId: 'bridge', clientSecret: 's3cret', items: 4 });
  });
  after(() => fake.close());

  const oauthSource = (secret: string) =>
    sourceOnly(
      fake,
      `
  path: /items/offset
  limitParam: limit
  maxPageSize: 5
  recordsPath: items
  pagination: { type: offset }`,
      `{ type: oauth2-client-credentials, tokenUrl: '${fake.url}/oauth/token', clientId: bridge, clientSecret: ${secret} }`,
    );

  test('obtains a token once and reuses it; an expired token is refreshed once and the request goes through', async () => {
    const source = oauthSource('s3cret');
    const before = fake.tokensIssued();
    await source.listChanged(null, 5);
    await source.listChanged(null, 5);
    assert.equal(fake.tokensIssued() - before, 1);
    fake.expireTokens();
    assert.equal((await source.listChanged(null, 5)).records.length, 4);
    assert.equal(fake.tokensIssued() - before, 2);
  });

  test('a wrong client secret is a non-retryable credentials error naming what to check', async () => {
    await assert.rejects(
      oauthSource('wrong').listChanged(null, 5),
      (error) =>
        error instanceof AuthenticationError &&
        !error.retryable &&
        /invalid_client/.test(error.message) &&
        /client id, secret/.test(error.message),
    );
  });

  test('when the API refuses even a fresh token, the token is refreshed once and then the error is clear and final', async () => {
    const source = oauthSource('s3cret');
    await source.listChanged(null, 5);
    const before = fake.tokensIssued();
    fake.refuseAllTokens();
    await assert.rejects(source.listChanged(null, 5), (error) => error instanceof AuthenticationError && /credentials/.test(error.message));
    assert.equal(fake.tokensIssued() - before, 1, 'exactly one refresh');
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { RawPmsProduct } from '../../src/domain/pmsProduct';
import { createLogger } from '../../src/logging/logger';
import { z } from 'zod';
import { errorBodySchema } from '../../src/sandbox/httpErrors';
import { batchGetResponseSchema, pageSchema, rawProductSchema } from '../../src/sandbox/pmsApi';
import { createPmsServer, type PmsServer } from '../../src/sandbox/pmsServer';
import { generateProducts } from '../../src/sandbox/seed';
import { apiCaller, startInTempDir, withTempDir, type Answer } from '../helpers/sandboxHttp';

const token = 'pms-test-token';
const logger = createLogger('test-sandbox-pms', { level: 'silent' });

const call = apiCaller(token);

/** Follows nextCursor from `cursor` until hasMore is false, returning every row in feed order. */
async function walkFeed(baseUrl: string, limit: number, onPage?: (page: RawPmsProduct[]) => Promise<void>): Promise<RawPmsProduct[]> {
  const rows: RawPmsProduct[] = [];
  let query = `limit=${limit}`;
  for (;;) {
    const answer = await call(baseUrl, 'GET', `/api/products?${query}`);
    assert.equal(answer.status, 200);
    const page = pageOf(answer);
    rows.push(...page.data);
    await onPage?.(page.data);
    if (!page.hasMore || page.nextCursor === null) return rows;
    query = `limit=${limit}&since=${encodeURIComponent(page.nextCursor.since)}&afterId=${encodeURIComponent(page.nextCursor.afterId)}`;
  }
}

/** The response as the documented product schema, so every test also checks the contract. */
const productOf = (answer: Answer) => rawProductSchema.parse(answer.body);
const pageOf = (answer: Answer) => pageSchema.parse(answer.body);
const errorOf = (answer: Answer) => errorBodySchema.parse(answer.body);

/** The parts of the OpenAPI document the tests look at. */
const operationSchema = z.object({ parameters: z.array(z.looseObject({ name: z.string() })) });
const openApiSchema = z.object({ openapi: z.string(), paths: z.record(z.string(), z.record(z.string(), z.unknown())) });

const feedKey = (row: RawPmsProduct): string => `${row.updatedAt}|${row.id}`;

describe('sandbox PMS over HTTP', () => {
  let server: PmsServer;
  let baseUrl: string;
  let stop: () => Promise<void>;

  before(async () => {
    ({ server, baseUrl, stop } = await startInTempDir('sandbox-pms-', (dir) =>
      createPmsServer({ dbPath: path.join(dir, 'nested', 'pms.db'), token, seed: 1, logger }),
    ));
  });

  after(() => stop());

  test('paging with a limit walks every row exactly once in (updatedAt, id) order', async () => {
    // One bulk load (rows share a timestamp, so the id tie-breaker is exercised) plus single writes.
    server.store.upsertMany(generateProducts(230, 11));
    for (const id of ['Z-1', 'A-1', 'M-1']) await call(baseUrl, 'PUT', `/api/products/${id}`, { body: { name: id } });

    const rows = await walkFeed(baseUrl, 37);

    assert.equal(rows.length, 233);
    assert.equal(new Set(rows.map((row) => row.id)).size, 233, 'no row appears twice');
    for (let i = 1; i < rows.length; i++) {
      assert.ok(feedKey(rows[i - 1] as RawPmsProduct) < feedKey(rows[i] as RawPmsProduct), `row ${i} is out of order`);
    }
    assert.deepEqual(
      rows.slice(-3).map((row) => row.id),
      ['Z-1', 'A-1', 'M-1'],
      'later writes come last',
    );
  });

  test('a page after the last row is empty with a null cursor and hasMore false', async () => {
    const last = (await walkFeed(baseUrl, 1000)).at(-1) as RawPmsProduct;
    const answer = await call(baseUrl, 'GET', `/api/products?since=${last.updatedAt}&afterId=${last.id}`);
    assert.deepEqual(answer.body, { data: [], nextCursor: null, hasMore: false, remaining: 0 });
  });

  test('since alone includes rows at exactly that instant', async () => {
    const first = (await walkFeed(baseUrl, 1000))[0] as RawPmsProduct;
    const answer = await call(baseUrl, 'GET', `/api/products?since=${first.updatedAt}&limit=1`);
    assert.equal(pageOf(answer).data[0]?.id, first.id);
  });

  test('a product updated while paging is not skipped: it reappears after the cursor', async () => {
    let seenFirstPage: RawPmsProduct[] = [];
    let updatedBehind = '';
    let updatedAhead = '';
    const rows = await walkFeed(baseUrl, 50, async (page) => {
      if (seenFirstPage.length > 0) return;
      seenFirstPage = page;
      const all = await walkFeed(baseUrl, 1000);
      updatedBehind = (page[10] as RawPmsProduct).id;
      updatedAhead = (all[150] as RawPmsProduct).id;
      await call(baseUrl, 'PATCH', `/api/products/${updatedBehind}`, { body: { stock: 1 } });
      await call(baseUrl, 'PATCH', `/api/products/${updatedAhead}`, { body: { stock: 2 } });
    });

    const behind = rows.filter((row) => row.id === updatedBehind);
    assert.equal(behind.length, 2, 'seen once before the update and once after it');
    assert.equal(behind[1]?.stock, 1);
    const ahead = rows.filter((row) => row.id === updatedAhead);
    assert.equal(ahead.length, 1, 'moved behind the cursor, still seen exactly once');
    assert.equal(ahead[0]?.stock, 2);
    assert.deepEqual(
      rows.slice(-2).map((row) => row.id),
      [updatedBehind, updatedAhead],
    );
  });

  test('PUT creates, then replaces the whole document; the path id wins and managed fields are ignored', async () => {
    const created = await call(baseUrl, 'PUT', '/api/products/NEW-1', {
      body: { id: 'OTHER', name: 'First', stock: 3, updatedAt: '1999-01-01T00:00:00.000Z', deleted: true },
    });
    assert.equal(created.status, 200);
    const first = productOf(created);
    assert.equal(first.id, 'NEW-1');
    assert.equal(first.deleted, false);
    assert.notEqual(first.updatedAt, '1999-01-01T00:00:00.000Z');

    const second = productOf(await call(baseUrl, 'PUT', '/api/products/NEW-1', { body: { name: 'Second' } }));
    assert.deepEqual(second, { id: 'NEW-1', name: 'Second', updatedAt: second.updatedAt, deleted: false });
    assert.ok(second.updatedAt > first.updatedAt, 'every write gets a later timestamp');
    assert.equal(server.store.get('OTHER'), undefined);
  });

  test('PUT stores whatever object it is given, including drafts without a name and wrong types', async () => {
    const answer = await call(baseUrl, 'PUT', '/api/products/LEGACY-1', { body: { price: '12,50', stock: 'many' } });
    assert.equal(answer.status, 200);
    assert.equal(server.store.get('LEGACY-1')?.price, '12,50');
  });

  test('PATCH merges fields shallowly into the stored document', async () => {
    await call(baseUrl, 'PUT', '/api/products/PATCH-1', { body: { name: 'Old', price: { amount: 1, currency: 'EUR' }, stock: 5 } });
    const answer = await call(baseUrl, 'PATCH', '/api/products/PATCH-1', { body: { name: 'New', price: { amount: 2 } } });
    assert.equal(answer.status, 200);
    const patched = productOf(answer);
    assert.equal(patched.name, 'New');
    assert.equal(patched.stock, 5);
    assert.deepEqual(patched.price, { amount: 2 }, 'shallow: nested objects are replaced, not merged');
  });

  test('PATCH of an unknown product answers 404 and creates nothing', async () => {
    const answer = await call(baseUrl, 'PATCH', '/api/products/NOPE-1', { body: { name: 'x' } });
    assert.equal(answer.status, 404);
    const error = errorOf(answer);
    assert.equal(error.error, 'NOT_FOUND');
    assert.match(error.message, /NOPE-1.*PUT/);
    assert.equal(server.store.get('NOPE-1'), undefined);
  });

  test('DELETE soft-deletes: the change feed shows the product with deleted true and a new timestamp', async () => {
    const alive = productOf(await call(baseUrl, 'PUT', '/api/products/DEL-1', { body: { name: 'Doomed' } }));
    const answer = await call(baseUrl, 'DELETE', '/api/products/DEL-1');
    assert.equal(answer.status, 200);
    const deleted = productOf(answer);
    assert.equal(deleted.deleted, true);
    assert.equal(deleted.name, 'Doomed');
    assert.ok(deleted.updatedAt > alive.updatedAt);

    const feed = pageOf(await call(baseUrl, 'GET', `/api/products?since=${alive.updatedAt}&afterId=DEL-1`));
    assert.ok(feed.data.some((row) => row.id === 'DEL-1' && row.deleted));

    const patch = await call(baseUrl, 'PATCH', '/api/products/DEL-1', { body: { name: 'Zombie' } });
    assert.equal(patch.status, 404);
    assert.match(errorOf(patch).message, /deleted/);
  });

  test('DELETE of a deleted product changes nothing, so a retried DELETE does not re-announce it', async () => {
    const first = productOf(await call(baseUrl, 'DELETE', '/api/products/DEL-1'));
    const second = productOf(await call(baseUrl, 'DELETE', '/api/products/DEL-1'));
    assert.deepEqual(second, first);
  });

  test('DELETE of an unknown product answers 404', async () => {
    const answer = await call(baseUrl, 'DELETE', '/api/products/NEVER-1');
    assert.equal(answer.status, 404);
    assert.equal(errorOf(answer).error, 'NOT_FOUND');
  });

  test('PUT after DELETE brings the product back', async () => {
    await call(baseUrl, 'PUT', '/api/products/BACK-1', { body: { name: 'x' } });
    await call(baseUrl, 'DELETE', '/api/products/BACK-1');
    const answer = await call(baseUrl, 'PUT', '/api/products/BACK-1', { body: { name: 'y' } });
    assert.equal(productOf(answer).deleted, false);
  });

  test('batch-get returns the products found in request order and leaves out unknown ids', async () => {
    const answer = await call(baseUrl, 'POST', '/api/products/batch-get', { body: { ids: ['NEW-1', 'missing', 'PATCH-1', 'NEW-1'] } });
    assert.equal(answer.status, 200);
    const { data } = batchGetResponseSchema.parse(answer.body);
    assert.deepEqual(
      data.map((row) => row.id),
      ['NEW-1', 'PATCH-1'],
    );
  });

  test('requests without the right bearer token get 401 and write nothing', async () => {
    for (const bearer of [null, 'wrong-token', `${token}x`]) {
      const answer = await call(baseUrl, 'PUT', '/api/products/SNEAKY-1', { token: bearer, body: { name: 'x' } });
      assert.equal(answer.status, 401);
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="sandbox"');
      assert.deepEqual(answer.body, {
        error: 'UNAUTHORIZED',
        message: 'Missing or invalid bearer token: set Authorization: Bearer <token> (the sandbox token from the configuration)',
      });
    }
    assert.equal(server.store.get('SNEAKY-1'), undefined);
    assert.equal((await call(baseUrl, 'GET', '/_admin/faults', { token: null })).status, 401);
  });

  test('/health and /openapi.json need no token', async () => {
    assert.deepEqual((await call(baseUrl, 'GET', '/health', { token: null })).body, { status: 'ok' });
    assert.equal((await call(baseUrl, 'GET', '/openapi.json', { token: null })).status, 200);
  });

  test('a bad limit answers 400 with a message naming the limit parameter', async () => {
    for (const limit of ['0', '1001', 'ten', '2.5']) {
      const answer = await call(baseUrl, 'GET', `/api/products?limit=${limit}`);
      assert.equal(answer.status, 400, `limit=${limit}`);
      const error = errorOf(answer);
      assert.equal(error.error, 'VALIDATION_ERROR');
      assert.match(error.message, /query parameter 'limit': must be a whole number from 1 to 1000/);
    }
  });

  test('a bad since or an afterId without since answers 400 naming the parameter', async () => {
    const since = await call(baseUrl, 'GET', '/api/products?since=yesterday');
    assert.match(errorOf(since).message, /query parameter 'since': must be an ISO 8601 timestamp/);
    const afterId = await call(baseUrl, 'GET', '/api/products?afterId=P-000001');
    assert.match(errorOf(afterId).message, /query parameter 'afterId': needs since/);
  });

  test('a bad product id answers 400 naming the id, and nothing is written', async () => {
    const answer = await call(baseUrl, 'PUT', `/api/products/${encodeURIComponent('has space')}`, { body: { name: 'x' } });
    assert.equal(answer.status, 400);
    assert.match(errorOf(answer).message, /path parameter 'id': must be 1-64 characters/);
    const tooLong = await call(baseUrl, 'PUT', `/api/products/${'x'.repeat(65)}`, { body: { name: 'x' } });
    assert.equal(tooLong.status, 400);
    assert.equal(server.store.get('has space'), undefined);
  });

  test('a body that is not a JSON object, or not JSON at all, answers 400', async () => {
    const array = await call(baseUrl, 'PUT', '/api/products/BODY-1', { body: [1, 2] });
    assert.equal(array.status, 400);
    assert.match(errorOf(array).message, /Invalid body: must be a JSON object/);
    const malformed = await call(baseUrl, 'PUT', '/api/products/BODY-1', { body: '{"name": ' });
    assert.equal(malformed.status, 400);
    assert.equal(errorOf(malformed).error, 'MALFORMED_JSON');
    const badIds = await call(baseUrl, 'POST', '/api/products/batch-get', { body: { ids: [] } });
    assert.match(errorOf(badIds).message, /body field 'ids': must contain at least one id/);
  });

  test('a body above the 8 MB limit answers 413 with advice', async () => {
    const answer = await call(baseUrl, 'PUT', '/api/products/HUGE-1', { body: { description: 'x'.repeat(9 * 1024 * 1024) } });
    assert.equal(answer.status, 413);
    const error = errorOf(answer);
    assert.equal(error.error, 'PAYLOAD_TOO_LARGE');
    assert.match(error.message, /8 MB/);
  });

  test('an unknown route answers 404 in the common error shape', async () => {
    const answer = await call(baseUrl, 'GET', '/api/nothing-here');
    assert.equal(answer.status, 404);
    assert.match(errorOf(answer).message, /openapi\.json/);
  });

  test('openapi.json is an OpenAPI 3.1 document listing every route', async () => {
    const document = openApiSchema.parse((await call(baseUrl, 'GET', '/openapi.json')).body);
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(Object.keys(document.paths).sort(), [
      '/_admin/faults',
      '/_admin/products/purge',
      '/api/demand-signals',
      '/api/demand-signals/batch/upsert',
      '/api/products',
      '/api/products/batch-get',
      '/api/products/batch-get-by-sku',
      '/api/products/{id}',
      '/api/requirements',
      '/api/requirements/{id}',
      '/api/requirements/{id}/demands',
      '/api/requirements/{id}/demands/{demandId}/decision',
      '/health',
      '/openapi.json',
    ]);
    assert.deepEqual(Object.keys(document.paths['/api/products/{id}'] ?? {}).sort(), ['delete', 'patch', 'put']);
    const list = operationSchema.parse(document.paths['/api/products']?.get);
    const limit = list.parameters.find((parameter) => parameter.name === 'limit');
    assert.deepEqual(limit, {
      name: 'limit',
      in: 'query',
      required: false,
      schema: { default: 100, type: 'integer', minimum: 1, maximum: 1000 },
    });
  });
});

describe('sandbox PMS persistence', () => {
  test('state survives closing and reopening the same database file', async () => {
    await withTempDir('sandbox-pms-restart-', async (dir) => {
      const dbPath = path.join(dir, 'pms.db');
      const first = createPmsServer({ dbPath, token, logger, seedProducts: 20 });
      const firstUrl = await first.listen();
      const written = productOf(await call(firstUrl, 'PUT', '/api/products/KEEP-1', { body: { name: 'Kept' } }));
      await call(firstUrl, 'DELETE', '/api/products/P-000001');
      await first.close();

      const second = createPmsServer({ dbPath, token, logger, seedProducts: 20 });
      const secondUrl = await second.listen();
      try {
        assert.equal(second.store.count(), 21, 'not seeded again: the store was not empty');
        const kept = await call(secondUrl, 'POST', '/api/products/batch-get', { body: { ids: ['KEEP-1', 'P-000001'] } });
        const [keep, deleted] = batchGetResponseSchema.parse(kept.body).data;
        assert.equal(keep?.name, 'Kept');
        assert.equal(deleted?.deleted, true);
        const next = productOf(await call(secondUrl, 'PUT', '/api/products/KEEP-2', { body: { name: 'Later' } }));
        assert.ok(next.updatedAt > written.updatedAt, 'timestamps keep increasing across restarts');
      } finally {
        await second.close();
      }
    });
  });

  test('an empty store is seeded with the requested number of valid products', async () => {
    const server = createPmsServer({ dbPath: ':memory:', token, logger, seedProducts: 25 });
    try {
      assert.equal(server.store.count(), 25);
      assert.equal(server.store.get('P-000025')?.sku, 'SKU-000025');
    } finally {
      await server.close();
    }
  });

  test('invalid factory options fail fast with a message naming the option', () => {
    assert.throws(() => createPmsServer({ dbPath: ':memory:', token: '', logger }), /token: token must not be empty/);
    assert.throws(
      () => createPmsServer({ dbPath: ':memory:', token, logger, faults: { errorRate: 3 } }),
      /faults\.errorRate: must be between 0 and 1/,
    );
  });
});

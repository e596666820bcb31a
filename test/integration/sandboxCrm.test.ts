import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { z } from 'zod';
import { createLogger } from '../../src/logging/logger';
import { crmProductSchema, listResponseSchema, statsSchema, upsertResultSchema } from '../../src/sandbox/crmApi';
import type { BatchProblem } from '../../src/sandbox/crmBatchRefusal';
import { createCrmServer, type CrmServer } from '../../src/sandbox/crmServer';
import { errorBodySchema } from '../../src/sandbox/httpErrors';
import { apiCaller, startInTempDir, withTempDir, type Answer } from '../helpers/sandboxHttp';

const token = 'crm-test-token';
const logger = createLogger('test-sandbox-crm', { level: 'silent' });

const call = apiCaller(token);

/** Responses are parsed with the documented schemas, so every test also checks the contract. */
const upsertResponseSchema = z.object({ results: z.array(upsertResultSchema) });
const readResponseSchema = z.object({ results: z.array(crmProductSchema) });
const refusalSchema = errorBodySchema.extend({
  details: z.array(z.object({ index: z.number(), externalId: z.string().nullable(), message: z.string() })).optional(),
});
const resultsOf = (answer: Answer) => upsertResponseSchema.parse(answer.body).results;
const errorOf = (answer: Answer) => errorBodySchema.parse(answer.body);
const refusalOf = (answer: Answer) => refusalSchema.parse(answer.body);

interface Input {
  externalId: string;
  properties: Record<string, unknown>;
  archived?: boolean;
}

const product = (n: number, overrides: Record<string, unknown> = {}): Input => ({
  externalId: `P-${String(n).padStart(6, '0')}`,
  properties: { name: `Product ${n}`, sku: `SKU-${n}`, price: n * 1.5, currency: 'EUR', stock: n, status: 'Active', ...overrides },
});

describe('sandbox CRM over HTTP', () => {
  let server: CrmServer;
  let baseUrl: string;
  let stop: () => Promise<void>;
  const upsert = (inputs: unknown[]): Promise<Answer> => call(baseUrl, 'POST', '/api/products/batch/upsert', { body: { inputs } });
  const stats = async () => statsSchema.parse((await call(baseUrl, 'GET', '/_admin/stats')).body);

  before(async () => {
    ({ server, baseUrl, stop } = await startInTempDir('sandbox-crm-', (dir) =>
      createCrmServer({ dbPath: path.join(dir, 'crm.db'), token, seed: 1, logger }),
    ));
  });

  after(() => stop());

  beforeEach(async () => {
    await call(baseUrl, 'POST', '/_admin/stats/reset');
  });

  test('upsert creates records, then updates them by externalId without duplicates', async () => {
    const created = resultsOf(await upsert([product(1), product(2)]));
    assert.deepEqual(
      created.map((r) => [r.externalId, r.created, r.changed]),
      [
        ['P-000001', true, true],
        ['P-000002', true, true],
      ],
    );

    const updated = resultsOf(await upsert([product(2, { price: 99 }), product(1, { name: 'Renamed' })]));
    assert.deepEqual(
      updated.map((r) => [r.externalId, r.created, r.changed]),
      [
        ['P-000002', false, true],
        ['P-000001', false, true],
      ],
      'results come in input order',
    );
    assert.equal(updated[1]?.id, created[0]?.id, 'same CRM id as before');

    assert.equal(server.store.count(), 2);
    const record = server.store.getByExternalId('P-000001');
    assert.equal(record?.properties.name, 'Renamed');
    assert.equal(record?.properties.sku, 'SKU-1', 'absent properties are left as they were');
    assert.equal(record?.version, 2);
    assert.ok((record?.updatedAt ?? '') > (record?.createdAt ?? ''));
    const counters = await stats();
    assert.deepEqual([counters.upsertRequests, counters.recordsCreated, counters.recordsUpdated], [2, 2, 2]);
  });

  test('an upsert that changes nothing keeps version and updatedAt, and counts as unchanged', async () => {
    await upsert([product(3)]);
    const stored = server.store.getByExternalId('P-000003');
    await call(baseUrl, 'POST', '/_admin/stats/reset');

    assert.equal(resultsOf(await upsert([product(3)]))[0]?.changed, false);
    const nullForAbsent = resultsOf(await upsert([{ externalId: 'P-000003', properties: { lifecycle: null } }]));
    assert.equal(nullForAbsent[0]?.changed, false, 'null for an absent property is no change');

    assert.deepEqual(server.store.getByExternalId('P-000003'), stored);
    const counters = await stats();
    assert.equal(counters.recordsUnchanged, 2);
    assert.equal(counters.recordsCreated + counters.recordsUpdated, 0, 'a second run writes nothing');
  });

  test('null clears a property, and archived is set, kept and cleared only when given', async () => {
    await upsert([product(4, { description: 'Long text' })]);
    await upsert([{ externalId: 'P-000004', properties: { description: null }, archived: true }]);
    let record = server.store.getByExternalId('P-000004');
    assert.equal(record?.properties.description, null);
    assert.equal(record?.archived, true);

    await upsert([{ externalId: 'P-000004', properties: { stock: 1 } }]);
    assert.equal(server.store.getByExternalId('P-000004')?.archived, true, 'archived is untouched when not given');

    await upsert([{ externalId: 'P-000004', properties: {}, archived: false }]);
    record = server.store.getByExternalId('P-000004');
    assert.equal(record?.archived, false);
    assert.equal(record?.version, 4);
  });

  test('a batch with one invalid record is refused whole, naming its index and reason, and nothing is written', async () => {
    const countBefore = server.store.count();
    const answer = await upsert([product(10), product(11), product(12), product(123, { name: 'N'.repeat(101) }), product(13)]);

    assert.equal(answer.status, 400);
    const error = refusalOf(answer);
    assert.equal(error.error, 'VALIDATION_ERROR');
    assert.match(error.message, /^Batch refused: input 3 \(externalId P-000123\): name must be at most 100 characters \(got "N{101}"\)/);
    assert.match(error.message, /Nothing was written/);
    const expected: BatchProblem[] = [
      { index: 3, externalId: 'P-000123', message: `name must be at most 100 characters (got "${'N'.repeat(101)}")` },
    ];
    assert.deepEqual(error.details, expected);
    assert.equal(server.store.count(), countBefore);
    assert.equal(server.store.getByExternalId('P-000010'), undefined, 'the valid inputs of the batch were not written either');
    assert.equal((await stats()).rejectedBatches, 1);
  });

  test('every invalid input of a refused batch is listed in details', async () => {
    const error = refusalOf(await upsert([product(20, { stock: -1 }), product(21), product(22, { currency: 'euro', status: 'Live' })]));
    assert.deepEqual(
      error.details?.map((d) => d.index),
      [0, 2],
    );
    assert.match(
      error.details?.[1]?.message ?? '',
      /currency must be a three-letter ISO 4217 code.*status must be one of 'Draft', 'Active', 'Discontinued'/,
    );
    assert.match(error.message, /and 1 more invalid input/);
  });

  test('an unknown property is rejected with the CRM-style message', async () => {
    const answer = await upsert([product(30, { colour: 'red' })]);
    assert.equal(answer.status, 400);
    assert.match(errorOf(answer).message, /input 0 \(externalId P-000030\): Property 'colour' does not exist on products/);
    assert.equal(server.store.getByExternalId('P-000030'), undefined);
  });

  test('creating a record without a name is refused, while updating without one is fine', async () => {
    const refused = await upsert([product(31), { externalId: 'P-000032', properties: { sku: 'x' } }]);
    assert.equal(refused.status, 400);
    assert.match(errorOf(refused).message, /input 1 \(externalId P-000032\): name is required when creating a product/);
    assert.equal(server.store.getByExternalId('P-000031'), undefined);

    await upsert([product(31)]);
    assert.equal((await upsert([{ externalId: 'P-000031', properties: { sku: 'changed' } }])).status, 200);
    const clearName = await upsert([{ externalId: 'P-000031', properties: { name: null } }]);
    assert.match(errorOf(clearName).message, /name must be a string \(it cannot be cleared\)/);
  });

  test('duplicate externalIds within one batch are refused', async () => {
    const answer = await upsert([product(40), product(41), product(40)]);
    assert.equal(answer.status, 400);
    assert.match(
      errorOf(answer).message,
      /input 2 \(externalId P-000040\): externalId appears more than once in the batch \(first at input 0\)/,
    );
    assert.equal(server.store.getByExternalId('P-000040'), undefined);
  });

  test('a batch beyond the maximum size gets 413 with a clear message and writes nothing', async () => {
    const inputs = Array.from({ length: 150 }, (_, i) => product(1000 + i));
    const answer = await upsert(inputs);
    assert.equal(answer.status, 413);
    const error = errorOf(answer);
    assert.equal(error.error, 'BATCH_TOO_LARGE');
    assert.match(error.message, /^Batch of 150 records exceeds the maximum of 100 per request/);
    assert.equal(server.store.getByExternalId('P-001000'), undefined);
    assert.equal((await upsert(inputs.slice(0, 100))).status, 200, 'exactly the maximum is accepted');
  });

  test('an empty or missing inputs list answers 400 naming the field', async () => {
    assert.match(errorOf(await upsert([])).message, /body field 'inputs': inputs must contain at least one record/);
    const missing = await call(baseUrl, 'POST', '/api/products/batch/upsert', { body: { records: [] } });
    assert.match(errorOf(missing).message, /body field 'inputs': inputs must be an array of records/);
  });

  test('batch read returns the records found in request order and leaves out unknown ones', async () => {
    await upsert([product(50), product(51)]);
    const answer = await call(baseUrl, 'POST', '/api/products/batch/read', { body: { externalIds: ['P-000051', 'nope', 'P-000050'] } });
    assert.equal(answer.status, 200);
    const { results } = readResponseSchema.parse(answer.body);
    assert.deepEqual(
      results.map((r) => r.externalId),
      ['P-000051', 'P-000050'],
    );
    assert.equal((await stats()).readRequests, 1);

    const tooMany = await call(baseUrl, 'POST', '/api/products/batch/read', {
      body: { externalIds: Array.from({ length: 1001 }, String) },
    });
    assert.match(errorOf(tooMany).message, /body field 'externalIds': must contain at most 1000 external ids/);
  });

  test('list pages through every record by id with a total, and can leave archived ones out', async () => {
    await upsert([{ ...product(60), archived: true }]);
    const all = server.store.all();
    const seen: string[] = [];
    let route = '/api/products?limit=7';
    for (;;) {
      const page = listResponseSchema.parse((await call(baseUrl, 'GET', route)).body);
      assert.equal(page.total, all.length);
      seen.push(...page.results.map((r) => r.id));
      if (page.paging === null) break;
      route = `/api/products?limit=7&after=${page.paging.next.after}`;
    }
    assert.deepEqual(
      seen,
      all.map((r) => r.id),
    );
    assert.deepEqual([...seen].sort(), seen, 'ordered by id');

    const active = listResponseSchema.parse((await call(baseUrl, 'GET', '/api/products?limit=1000&includeArchived=false')).body);
    assert.equal(active.total, all.filter((r) => !r.archived).length);
    assert.ok(active.results.every((r) => !r.archived));
    assert.equal(active.paging, null);
  });

  test('list refuses a bad limit, a foreign cursor or a bad includeArchived with 400', async () => {
    assert.match(errorOf(await call(baseUrl, 'GET', '/api/products?limit=0')).message, /query parameter 'limit'/);
    assert.match(errorOf(await call(baseUrl, 'GET', '/api/products?after=bogus')).message, /query parameter 'after'/);
    assert.match(
      errorOf(await call(baseUrl, 'GET', '/api/products?includeArchived=yes')).message,
      /query parameter 'includeArchived': must be true or false/,
    );
  });

  test('requests without the right bearer token get 401 and write nothing', async () => {
    const answer = await call(baseUrl, 'POST', '/api/products/batch/upsert', { token: 'nope', body: { inputs: [product(70)] } });
    assert.equal(answer.status, 401);
    assert.equal(errorOf(answer).error, 'UNAUTHORIZED');
    assert.equal(server.store.getByExternalId('P-000070'), undefined);
    assert.equal((await call(baseUrl, 'GET', '/_admin/stats', { token: null })).status, 401);
  });

  test('openapi.json lists every route and carries the property rules of the upsert body', async () => {
    const document = z
      .object({ openapi: z.string(), paths: z.record(z.string(), z.record(z.string(), z.unknown())) })
      .parse((await call(baseUrl, 'GET', '/openapi.json', { token: null })).body);
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(Object.keys(document.paths).sort(), [
      '/_admin/faults',
      '/_admin/stats',
      '/_admin/stats/reset',
      '/api/accounts/batch/read',
      '/api/accounts/{id}',
      '/api/contacts/batch/read',
      '/api/contacts/{id}',
      '/api/demands',
      '/api/demands/batch/read',
      '/api/demands/batch/update-links',
      '/api/demands/{id}',
      '/api/orders',
      '/api/orders/{id}',
      '/api/products',
      '/api/products/batch/read',
      '/api/products/batch/read-by-sku',
      '/api/products/batch/upsert',
      '/health',
      '/openapi.json',
    ]);
    const propertiesSchema = z.object({
      additionalProperties: z.literal(false),
      properties: z.object({ name: z.object({ maxLength: z.number() }) }),
    });
    const upsertBody = z.object({
      requestBody: z.object({
        content: z.object({
          'application/json': z.object({
            schema: z.object({
              properties: z.object({ inputs: z.object({ items: z.object({ properties: z.object({ properties: propertiesSchema }) }) }) }),
            }),
          }),
        }),
      }),
    });
    const body = upsertBody.parse(document.paths['/api/products/batch/upsert']?.post);
    const properties = body.requestBody.content['application/json'].schema.properties.inputs.items.properties.properties;
    assert.equal(properties.properties.name.maxLength, 100);
  });
});

describe('sandbox CRM persistence', () => {
  test('state survives closing and reopening the same database file', async () => {
    await withTempDir('sandbox-crm-restart-', async (dir) => {
      const dbPath = path.join(dir, 'crm.db');
      const first = createCrmServer({ dbPath, token, logger });
      const firstUrl = await first.listen();
      await call(firstUrl, 'POST', '/api/products/batch/upsert', { body: { inputs: [product(1)] } });
      await first.close();

      const second = createCrmServer({ dbPath, token, logger });
      const secondUrl = await second.listen();
      try {
        const answer = await call(secondUrl, 'POST', '/api/products/batch/upsert', { body: { inputs: [product(1), product(2)] } });
        assert.deepEqual(
          resultsOf(answer).map((r) => [r.created, r.changed]),
          [
            [false, false],
            [true, true],
          ],
        );
        assert.deepEqual(
          second.store.all().map((r) => r.id),
          ['crm_0000000001', 'crm_0000000002'],
        );
      } finally {
        await second.close();
      }
    });
  });
});

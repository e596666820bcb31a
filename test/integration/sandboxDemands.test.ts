import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { z } from 'zod';
import { createLogger } from '../../src/logging/logger';
import { feedPageSchema } from '../../src/sandbox/changeFeed';
import { crmProductSchema, statsSchema } from '../../src/sandbox/crmApi';
import { accountSchema, contactSchema, demandSchema, linkOutcomeSchema, orderSchema } from '../../src/sandbox/crmCustomerApi';
import { generateCustomers } from '../../src/sandbox/crmCustomerSeed';
import { createCrmServer, type CrmServer } from '../../src/sandbox/crmServer';
import { errorBodySchema } from '../../src/sandbox/httpErrors';
import { apiCaller, startInTempDir, withTempDir, type Answer } from '../helpers/sandboxHttp';

const token = 'crm-demands-test-token';
const logger = createLogger('test-sandbox-crm-demands', { level: 'silent' });

const call = apiCaller(token);

/** Responses are parsed with the documented schemas, so every test also checks the contract. */
const demandPageSchema = feedPageSchema(demandSchema);
const orderPageSchema = feedPageSchema(orderSchema);
const linkResultsSchema = z.object({ results: z.array(linkOutcomeSchema) });
const errorOf = (answer: Answer) => errorBodySchema.parse(answer.body);
const ok = <T extends z.ZodType>(schema: T, answer: Answer): z.output<T> => {
  assert.equal(answer.status, 200, `expected 200, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return schema.parse(answer.body);
};

/** Follows nextCursor until hasMore is false, returning every row in feed order. */
async function walkFeed(
  baseUrl: string,
  collection: 'demands' | 'orders',
  limit: number,
): Promise<Array<{ id: string; updatedAt: string }>> {
  const rows: Array<{ id: string; updatedAt: string }> = [];
  let query = `limit=${limit}`;
  for (;;) {
    const page = ok(
      collection === 'demands' ? demandPageSchema : orderPageSchema,
      await call(baseUrl, 'GET', `/api/${collection}?${query}`),
    );
    rows.push(...page.data);
    if (!page.hasMore || page.nextCursor === null) return rows;
    query = `limit=${limit}&since=${encodeURIComponent(page.nextCursor.since)}&afterId=${encodeURIComponent(page.nextCursor.afterId)}`;
  }
}

const demand = (overrides: Record<string, unknown> = {}) => ({
  title: 'Export reports to Excel',
  description: 'Controllers want the monthly report in Excel.',
  kind: 'feature-request',
  skus: ['SKU-000022'],
  priority: 'high',
  accountId: 'A-0001',
  contactId: null,
  status: 'open',
  ...overrides,
});

const link = (id: string, pmsRequirementId: string | null, pmsStatus: string | null) => ({ id, pmsRequirementId, pmsStatus });

describe('sandbox CRM customers over HTTP', () => {
  let server: CrmServer;
  let baseUrl: string;
  let stop: () => Promise<void>;
  const seed = generateCustomers();
  const stats = async () => statsSchema.parse((await call(baseUrl, 'GET', '/_admin/stats')).body);

  before(async () => {
    ({ server, baseUrl, stop } = await startInTempDir('sandbox-crm-demands-', (dir) =>
      createCrmServer({ dbPath: path.join(dir, 'crm.db'), token, seed: 1, logger, seedCustomers: true }),
    ));
  });

  after(() => stop());

  test('seedCustomers fills an empty store with exactly the generated customers', () => {
    const customers = server.customers;
    assert.deepEqual(
      [customers.count('accounts'), customers.count('contacts'), customers.count('demands'), customers.count('orders')],
      [seed.accounts.length, seed.contacts.length, seed.demands.length, seed.orders.length],
    );
    const stored = customers.get('demands', 'D-0001');
    const generated = seed.demands[0];
    assert.ok(stored && generated);
    assert.deepEqual({ ...stored, updatedAt: undefined }, { ...generated, updatedAt: undefined, pmsRequirementId: null, pmsStatus: null });
    assert.deepEqual(
      customers.allContacts().map((contact) => contact.email),
      seed.contacts.map((contact) => contact.email),
    );
  });

  test('the demand and order feeds page through every row exactly once in (updatedAt, id) order', async () => {
    // The seed shares one timestamp (the id tie-breaker is exercised); later single writes follow it.
    for (const id of ['D-Z1', 'D-A1']) assert.equal((await call(baseUrl, 'PUT', `/api/demands/${id}`, { body: demand() })).status, 200);
    assert.equal(
      (await call(baseUrl, 'PUT', '/api/orders/O-X1', { body: { accountId: 'A-0001', orderedAt: '2025-03-01T10:00:00Z', lines: [] } }))
        .status,
      200,
    );

    const demands = await walkFeed(baseUrl, 'demands', 7);
    assert.equal(demands.length, seed.demands.length + 2);
    assert.equal(new Set(demands.map((row) => row.id)).size, demands.length, 'no demand appears twice');
    const keys = demands.map((row) => `${row.updatedAt}|${row.id}`);
    assert.deepEqual([...keys].sort(), keys, 'in (updatedAt, id) order');
    assert.deepEqual(
      demands.slice(-2).map((row) => row.id),
      ['D-Z1', 'D-A1'],
      'later writes come last',
    );

    const orders = await walkFeed(baseUrl, 'orders', 33);
    assert.equal(orders.length, seed.orders.length + 1);
    assert.equal(new Set(orders.map((row) => row.id)).size, orders.length, 'no order appears twice');

    const last = orders.at(-1)!;
    const empty = await call(baseUrl, 'GET', `/api/orders?since=${last.updatedAt}&afterId=${last.id}`);
    assert.deepEqual(empty.body, { data: [], nextCursor: null, hasMore: false });
    const inclusive = ok(orderPageSchema, await call(baseUrl, 'GET', `/api/orders?since=${last.updatedAt}&limit=1`));
    assert.equal(inclusive.data[0]?.id, last.id, "afterId '' includes rows at exactly since");
  });

  test('a feed query with afterId but no since, or a bad limit, answers 400 naming the parameter', async () => {
    assert.match(errorOf(await call(baseUrl, 'GET', '/api/demands?afterId=D-0001')).message, /query parameter 'afterId': needs since/);
    assert.match(
      errorOf(await call(baseUrl, 'GET', '/api/orders?limit=0')).message,
      /query parameter 'limit': must be a whole number from 1 to 1000/,
    );
  });

  test('PUT creates and replaces a demand as entered: the path id wins, createdAt is kept, updatedAt moves on', async () => {
    const created = ok(
      demandSchema,
      await call(baseUrl, 'PUT', '/api/demands/D-PUT', { body: demand({ id: 'D-OTHER', updatedAt: '1999-01-01T00:00:00Z' }) }),
    );
    assert.equal(created.id, 'D-PUT');
    assert.equal(created.createdAt, created.updatedAt);
    assert.equal(server.customers.get('demands', 'D-OTHER'), undefined);

    // Lenient like a real CRM: a demand without title or SKUs is stored; the bridge decides what to do with it.
    const replaced = ok(
      demandSchema,
      await call(baseUrl, 'PUT', '/api/demands/D-PUT', { body: { kind: 'problem', note: 'typed in a hurry' } }),
    );
    assert.equal(replaced.createdAt, created.createdAt);
    assert.ok(replaced.updatedAt > created.updatedAt);
    assert.equal(replaced.title, undefined, 'a replace drops fields the body leaves out');
    assert.equal(replaced.note, 'typed in a hurry');
  });

  test('PUT keeps the bridge-owned link fields unless the body names them; null clears them', async () => {
    await call(baseUrl, 'PUT', '/api/demands/D-KEEP', { body: demand() });
    ok(
      linkResultsSchema,
      await call(baseUrl, 'POST', '/api/demands/batch/update-links', { body: { inputs: [link('D-KEEP', 'REQ-000007', 'planned')] } }),
    );

    const edited = ok(demandSchema, await call(baseUrl, 'PUT', '/api/demands/D-KEEP', { body: demand({ title: 'Edited by sales' }) }));
    assert.deepEqual([edited.title, edited.pmsRequirementId, edited.pmsStatus], ['Edited by sales', 'REQ-000007', 'planned']);

    const named = ok(demandSchema, await call(baseUrl, 'PUT', '/api/demands/D-KEEP', { body: demand({ pmsRequirementId: null }) }));
    assert.deepEqual([named.pmsRequirementId, named.pmsStatus], [null, 'planned']);

    const wrongType = await call(baseUrl, 'PUT', '/api/demands/D-KEEP', { body: demand({ pmsStatus: 3 }) });
    assert.equal(wrongType.status, 400);
    assert.match(errorOf(wrongType).message, /body field 'pmsStatus': pmsStatus must be a string or null/);
  });

  test('update-links changes only the link fields, and an identical second call changes nothing', async () => {
    await call(baseUrl, 'PUT', '/api/demands/D-L1', { body: demand({ title: 'Excel export for reports' }) });
    await call(baseUrl, 'PUT', '/api/demands/D-L2', { body: demand({ title: 'Download our reports as XLSX', priority: 'low' }) });
    const before = server.customers.readMany('demands', ['D-L1', 'D-L2']);
    await call(baseUrl, 'POST', '/_admin/stats/reset');

    const inputs = [link('D-L2', 'REQ-000001', 'new'), link('D-NOPE', 'REQ-000001', 'new'), link('D-L1', 'REQ-000001', 'new')];
    const first = ok(linkResultsSchema, await call(baseUrl, 'POST', '/api/demands/batch/update-links', { body: { inputs } }));
    assert.deepEqual(first.results, [
      { id: 'D-L2', found: true, changed: true },
      { id: 'D-NOPE', found: false, changed: false },
      { id: 'D-L1', found: true, changed: true },
    ]);
    assert.equal(server.customers.get('demands', 'D-NOPE'), undefined, 'an unknown demand is not created');
    const linked = server.customers.readMany('demands', ['D-L1', 'D-L2']);
    linked.forEach((after, i) => {
      const previous = before[i]!;
      assert.deepEqual(
        { ...after, pmsRequirementId: null, pmsStatus: null, updatedAt: '' },
        { ...previous, updatedAt: '' },
        'content untouched',
      );
      assert.deepEqual([after.pmsRequirementId, after.pmsStatus], ['REQ-000001', 'new']);
      assert.ok(after.updatedAt > previous.updatedAt, 'a changed demand moves up the change feed');
    });

    const second = ok(linkResultsSchema, await call(baseUrl, 'POST', '/api/demands/batch/update-links', { body: { inputs } }));
    assert.ok(second.results.every((result) => !result.changed));
    assert.deepEqual(server.customers.readMany('demands', ['D-L1', 'D-L2']), linked, 'no updatedAt bump for an unchanged demand');
    assert.equal((await stats()).demandLinkWrites, 2);

    const released = ok(
      linkResultsSchema,
      await call(baseUrl, 'POST', '/api/demands/batch/update-links', { body: { inputs: [link('D-L1', 'REQ-000001', 'released')] } }),
    );
    assert.deepEqual(released.results, [{ id: 'D-L1', found: true, changed: true }]);
    assert.equal((await stats()).demandLinkWrites, 3);
  });

  test('update-links refuses content fields, duplicate ids, missing link values and oversized batches', async () => {
    const content = await call(baseUrl, 'POST', '/api/demands/batch/update-links', {
      body: { inputs: [{ ...link('D-L1', 'REQ-1', 'new'), title: 'Hijacked' }] },
    });
    assert.equal(content.status, 400);
    assert.match(errorOf(content).message, /unknown field 'title': update-links sets only pmsRequirementId and pmsStatus/);
    assert.notEqual(server.customers.get('demands', 'D-L1')?.title, 'Hijacked');

    const duplicate = await call(baseUrl, 'POST', '/api/demands/batch/update-links', {
      body: { inputs: [link('D-L1', 'REQ-1', 'new'), link('D-L1', 'REQ-2', 'new')] },
    });
    assert.match(errorOf(duplicate).message, /inputs\[1\]\.id': demand D-L1 appears more than once in the batch \(first at input 0\)/);

    const missing = await call(baseUrl, 'POST', '/api/demands/batch/update-links', {
      body: { inputs: [{ id: 'D-L1', pmsRequirementId: 'REQ-1' }] },
    });
    assert.match(errorOf(missing).message, /inputs\[0\]\.pmsStatus': pmsStatus must be a string or null/);

    const tooMany = await call(baseUrl, 'POST', '/api/demands/batch/update-links', {
      body: { inputs: Array.from({ length: 101 }, (_, i) => link(`D-${i}`, null, null)) },
    });
    assert.equal(tooMany.status, 413);
    assert.equal(errorOf(tooMany).error, 'BATCH_TOO_LARGE');
  });

  test('batch read returns demands and accounts found, in request order, each once', async () => {
    const demands = ok(
      z.object({ results: z.array(demandSchema) }),
      await call(baseUrl, 'POST', '/api/demands/batch/read', { body: { ids: ['D-0003', 'nope', 'D-0001', 'D-0003'] } }),
    );
    assert.deepEqual(
      demands.results.map((d) => d.id),
      ['D-0003', 'D-0001'],
    );

    const accounts = ok(
      z.object({ results: z.array(accountSchema) }),
      await call(baseUrl, 'POST', '/api/accounts/batch/read', { body: { ids: ['A-0002', 'A-9999', 'A-0001'] } }),
    );
    assert.deepEqual(
      accounts.results.map(({ id, name, segment, annualValue }) => ({ id, name, segment, annualValue })),
      [seed.accounts[1], seed.accounts[0]],
    );

    const empty = await call(baseUrl, 'POST', '/api/accounts/batch/read', { body: { ids: [] } });
    assert.match(errorOf(empty).message, /body field 'ids': must contain at least one account id/);
  });

  test('accounts and contacts are checked master data: a bad field or an unknown property answers 400', async () => {
    const account = ok(
      accountSchema,
      await call(baseUrl, 'PUT', '/api/accounts/A-NEW', { body: { name: 'Neue Mühle GmbH', segment: 'smb', annualValue: 12_000 } }),
    );
    assert.equal(account.id, 'A-NEW');
    const contact = ok(
      contactSchema,
      await call(baseUrl, 'PUT', '/api/contacts/C-NEW', {
        body: { accountId: 'A-NEW', name: 'Eva Koch', email: 'eva.koch@neue-muehle.example', phone: '+49 30 1234567' },
      }),
    );
    assert.equal(contact.accountId, 'A-NEW');

    const badSegment = await call(baseUrl, 'PUT', '/api/accounts/A-NEW', { body: { name: 'X', segment: 'huge', annualValue: 1 } });
    assert.match(errorOf(badSegment).message, /body field 'segment': segment must be one of 'enterprise', 'mid-market', 'smb'/);
    const typo = await call(baseUrl, 'PUT', '/api/accounts/A-NEW', { body: { name: 'X', segment: 'smb', annualValue: 1, anualValue: 2 } });
    assert.match(errorOf(typo).message, /Property 'anualValue' does not exist on accounts; known properties: name, segment, annualValue/);
    const badEmail = await call(baseUrl, 'PUT', '/api/contacts/C-NEW', {
      body: { accountId: 'A-NEW', name: 'Eva', email: 'eva', phone: '+49 30 1' },
    });
    assert.match(errorOf(badEmail).message, /body field 'email': email must be an e-mail address/);
    assert.equal(server.customers.get('accounts', 'A-NEW')?.annualValue, 12_000, 'a refused PUT writes nothing');
  });

  test('read-by-sku resolves SKUs to CRM product records (archived included) in the order asked', async () => {
    const inputs = [
      { externalId: 'P-000022', properties: { name: 'Historian', sku: 'SKU-000022' } },
      { externalId: 'P-000040', properties: { name: 'SCADA', sku: 'SKU-000040' }, archived: true },
      { externalId: 'P-000057', properties: { name: 'Gateway', sku: 'SKU-000057' } },
    ];
    assert.equal((await call(baseUrl, 'POST', '/api/products/batch/upsert', { body: { inputs } })).status, 200);

    const answer = ok(
      z.object({ results: z.array(crmProductSchema) }),
      await call(baseUrl, 'POST', '/api/products/batch/read-by-sku', {
        body: { skus: ['SKU-000040', 'SKU-999999', 'SKU-000022', 'SKU-000040'] },
      }),
    );
    assert.deepEqual(
      answer.results.map((product) => [product.properties.sku, product.externalId, product.archived]),
      [
        ['SKU-000040', 'P-000040', true],
        ['SKU-000022', 'P-000022', false],
      ],
    );
    const tooMany = await call(baseUrl, 'POST', '/api/products/batch/read-by-sku', {
      body: { skus: Array.from({ length: 1001 }, String) },
    });
    assert.match(errorOf(tooMany).message, /body field 'skus': must contain at most 1000 SKUs/);
  });

  test('customer routes without the right bearer token get 401 and write nothing', async () => {
    for (const bearer of [null, 'wrong']) {
      assert.equal((await call(baseUrl, 'PUT', '/api/demands/D-SNEAKY', { token: bearer, body: demand() })).status, 401);
      assert.equal((await call(baseUrl, 'GET', '/api/orders', { token: bearer })).status, 401);
      const links = await call(baseUrl, 'POST', '/api/demands/batch/update-links', {
        token: bearer,
        body: { inputs: [link('D-0001', 'REQ-9', 'x')] },
      });
      assert.equal(links.status, 401);
      assert.equal(errorOf(links).error, 'UNAUTHORIZED');
    }
    assert.equal(server.customers.get('demands', 'D-SNEAKY'), undefined);
    assert.equal(server.customers.get('demands', 'D-0001')?.pmsRequirementId, null);
  });

  test('openapi.json documents the customer routes, with the link fields of update-links required', async () => {
    const document = z
      .object({ paths: z.record(z.string(), z.record(z.string(), z.unknown())) })
      .parse((await call(baseUrl, 'GET', '/openapi.json', { token: null })).body);
    for (const [route, method] of [
      ['/api/accounts/{id}', 'put'],
      ['/api/contacts/{id}', 'put'],
      ['/api/demands/{id}', 'put'],
      ['/api/orders/{id}', 'put'],
      ['/api/demands', 'get'],
      ['/api/orders', 'get'],
      ['/api/demands/batch/read', 'post'],
      ['/api/demands/batch/update-links', 'post'],
      ['/api/accounts/batch/read', 'post'],
      ['/api/contacts/batch/read', 'post'],
      ['/api/products/batch/read-by-sku', 'post'],
    ] as const) {
      assert.ok(document.paths[route]?.[method], `${method.toUpperCase()} ${route} is documented`);
    }
    const body = z
      .object({
        requestBody: z.object({
          content: z.object({
            'application/json': z.object({
              schema: z.object({ properties: z.object({ inputs: z.object({ items: z.object({ required: z.array(z.string()) }) }) }) }),
            }),
          }),
        }),
      })
      .parse(document.paths['/api/demands/batch/update-links']?.post);
    assert.deepEqual(body.requestBody.content['application/json'].schema.properties.inputs.items.required, [
      'id',
      'pmsRequirementId',
      'pmsStatus',
    ]);
  });
});

describe('sandbox CRM customers persistence', () => {
  test('customers and link fields survive closing and reopening the file, and the seed is not repeated', async () => {
    await withTempDir('sandbox-crm-demands-restart-', async (dir) => {
      const dbPath = path.join(dir, 'crm.db');
      const first = createCrmServer({ dbPath, token, logger, seedCustomers: true });
      const firstUrl = await first.listen();
      const written = ok(demandSchema, await call(firstUrl, 'PUT', '/api/demands/D-KEPT', { body: demand() }));
      await call(firstUrl, 'POST', '/api/demands/batch/update-links', { body: { inputs: [link('D-KEPT', 'REQ-000042', 'planned')] } });
      const demandsBefore = first.customers.count('demands');
      await first.close();

      const second = createCrmServer({ dbPath, token, logger, seedCustomers: true });
      const secondUrl = await second.listen();
      try {
        assert.equal(second.customers.count('demands'), demandsBefore, 'not seeded again: the store was not empty');
        const [kept] = ok(
          z.object({ results: z.array(demandSchema) }),
          await call(secondUrl, 'POST', '/api/demands/batch/read', { body: { ids: ['D-KEPT'] } }),
        ).results;
        assert.deepEqual([kept?.title, kept?.pmsRequirementId, kept?.pmsStatus], [demand().title, 'REQ-000042', 'planned']);
        const later = ok(orderSchema, await call(secondUrl, 'PUT', '/api/orders/O-LATER', { body: { accountId: 'A-0001' } }));
        assert.ok(later.updatedAt > (kept?.updatedAt ?? ''), 'timestamps keep increasing across restarts');
        assert.ok(later.updatedAt > written.updatedAt);
      } finally {
        await second.close();
      }
    });
  });

  test('without seedCustomers the customer tables start empty', async () => {
    const server = createCrmServer({ dbPath: ':memory:', token, logger });
    try {
      assert.ok(server.customers.isEmpty());
    } finally {
      await server.close();
    }
  });
});

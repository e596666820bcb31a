import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { z } from 'zod';
import { createLogger } from '../../src/logging/logger';
import { feedPageSchema } from '../../src/sandbox/changeFeed';
import { errorBodySchema } from '../../src/sandbox/httpErrors';
import { demandSignalSchema, signalOutcomeSchema } from '../../src/sandbox/pmsDemandSignalApi';
import { requirementSchema, type Requirement } from '../../src/sandbox/pmsRequirementApi';
import { createPmsServer, type PmsServer } from '../../src/sandbox/pmsServer';
import { apiCaller, startInTempDir, withTempDir, type Answer } from '../helpers/sandboxHttp';

const token = 'pms-requirements-test-token';
const logger = createLogger('test-sandbox-pms-requirements', { level: 'silent' });

const call = apiCaller(token);

/** Responses are parsed with the documented schemas, so every test also checks the contract. */
const pageSchema = feedPageSchema(requirementSchema);
const signalsSchema = z.object({ data: z.array(demandSignalSchema) });
const upsertResultsSchema = z.object({ results: z.array(signalOutcomeSchema) });
const errorOf = (answer: Answer) => errorBodySchema.parse(answer.body);
const requirementOf = (answer: Answer, status = 200): Requirement => {
  assert.equal(answer.status, status, `expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return requirementSchema.parse(answer.body);
};

const demandLink = (demandId: string, overrides: Record<string, unknown> = {}) => ({
  demandId,
  accountId: `A-${demandId}`,
  accountName: `Account of ${demandId}`,
  segment: 'enterprise',
  accountValue: 250_000,
  priority: 'high',
  kind: 'feature-request',
  matchReason: null,
  matchScore: null,
  linkState: 'linked',
  linkedAt: '2025-03-01T12:00:00.000Z',
  ...overrides,
});

const newRequirement = (overrides: Record<string, unknown> = {}) => ({
  title: 'Export reports to Excel',
  description: 'Controllers want the monthly report in Excel.',
  productId: 'P-000001',
  demands: [demandLink('D-1')],
  demandScore: 14,
  idempotencyKey: null,
  ...overrides,
});

describe('sandbox PMS requirements and demand signals over HTTP', () => {
  let server: PmsServer;
  let baseUrl: string;
  let stop: () => Promise<void>;
  const create = (body: unknown) => call(baseUrl, 'POST', '/api/requirements', { body });
  const signals = async (query = '') => signalsSchema.parse((await call(baseUrl, 'GET', `/api/demand-signals${query}`)).body).data;
  const upsertSignals = (inputs: unknown[]) => call(baseUrl, 'POST', '/api/demand-signals/batch/upsert', { body: { inputs } });

  before(async () => {
    ({ server, baseUrl, stop } = await startInTempDir('sandbox-pms-requirements-', (dir) =>
      createPmsServer({ dbPath: path.join(dir, 'pms.db'), token, seed: 1, logger, seedProducts: 10 }),
    ));
  });

  after(() => stop());

  test('create answers 201 with a sequential id and status new, storing the links as given', async () => {
    const link = demandLink('D-CREATE', { title: 'Export reports to Excel', contact: { role: 'buyer' } });
    const created = requirementOf(await create(newRequirement({ demands: [link], idempotencyKey: 'crm-demand:D-CREATE' })), 201);
    assert.match(created.id, /^REQ-\d{6}$/);
    assert.equal(created.status, 'new');
    assert.deepEqual(created.demands, [link], 'extra link fields are stored as given');
    assert.equal(created.idempotencyKey, 'crm-demand:D-CREATE');
    assert.equal(created.createdAt, created.updatedAt);

    const next = requirementOf(await create(newRequirement({ demands: [demandLink('D-NEXT')] })), 201);
    assert.equal(Number(next.id.slice(4)), Number(created.id.slice(4)) + 1, 'ids are assigned in sequence');
  });

  test('a create retried with the same idempotencyKey answers 200 with the first requirement and changes nothing', async () => {
    const body = newRequirement({ demands: [demandLink('D-IDEM')], idempotencyKey: 'crm-demand:D-IDEM' });
    const first = requirementOf(await create(body), 201);
    const count = server.requirements.count();

    const retried = requirementOf(await create({ ...body, title: 'Retry with other words' }), 200);
    assert.deepEqual(retried, first);
    assert.equal(server.requirements.count(), count, 'no duplicate');
  });

  test('a create whose answer was lost to an injected 500 is stored, and the retry returns it', async () => {
    server.faults.update({ errorAfterWriteRate: 1 });
    const body = newRequirement({ demands: [demandLink('D-LOST')], idempotencyKey: 'crm-demand:D-LOST' });
    try {
      assert.equal((await create(body)).status, 500);
    } finally {
      server.faults.update({ errorAfterWriteRate: 0 });
    }
    const retried = requirementOf(await create(body), 200);
    assert.deepEqual(
      retried.demands.map((d) => d.demandId),
      ['D-LOST'],
    );
  });

  test('a create for an unknown or deleted product is refused with 400 naming the product, and nothing is created', async () => {
    const count = server.requirements.count();
    const unknown = await create(newRequirement({ productId: 'P-404404' }));
    assert.equal(unknown.status, 400);
    assert.match(errorOf(unknown).message, /productId'.*'P-404404' is not a live PMS product \(no product with that id exists\)/);

    await call(baseUrl, 'DELETE', '/api/products/P-000010');
    const deleted = await create(newRequirement({ productId: 'P-000010' }));
    assert.match(errorOf(deleted).message, /'P-000010' is not a live PMS product \(that product is deleted\)/);
    assert.equal(server.requirements.count(), count);
  });

  test('invalid links are refused with the field named: duplicate demand, bad priority, missing account', async () => {
    const duplicate = await create(newRequirement({ demands: [demandLink('D-X'), demandLink('D-Y'), demandLink('D-X')] }));
    assert.equal(duplicate.status, 400);
    assert.match(
      errorOf(duplicate).message,
      /body field 'demands\[2\]\.demandId': demand D-X is listed more than once \(first at position 0\)/,
    );

    const priority = await create(newRequirement({ demands: [demandLink('D-X', { priority: 'urgent' })] }));
    assert.match(errorOf(priority).message, /'demands\[0\]\.priority': priority must be one of 'low', 'medium', 'high', 'critical'/);

    const missing = await create(newRequirement({ demands: [demandLink('D-X', { accountName: undefined })] }));
    assert.match(errorOf(missing).message, /'demands\[0\]\.accountName': accountName must be a string/);

    const typo = await create({ ...newRequirement(), idempotencykey: 'x' });
    assert.match(errorOf(typo).message, /unknown field 'idempotencykey'; allowed fields: title, description, productId/);
  });

  test('GET by id returns the requirement; an unknown id answers 404', async () => {
    const created = requirementOf(await create(newRequirement({ demands: [demandLink('D-GET')] })), 201);
    assert.deepEqual(requirementOf(await call(baseUrl, 'GET', `/api/requirements/${created.id}`)), created);
    const missing = await call(baseUrl, 'GET', '/api/requirements/REQ-999999');
    assert.equal(missing.status, 404);
    assert.match(errorOf(missing).message, /Requirement 'REQ-999999' does not exist/);
  });

  test('the feed pages through every requirement once, and filters by product and by linked demand', async () => {
    for (let i = 0; i < 12; i++) {
      const productId = i % 3 === 0 ? 'P-000003' : 'P-000002';
      await create(newRequirement({ productId, demands: [demandLink(`D-FEED-${i}`), demandLink('D-SHARED')] }));
    }
    const all: Requirement[] = [];
    let query = 'limit=4';
    for (;;) {
      const page = pageSchema.parse((await call(baseUrl, 'GET', `/api/requirements?${query}`)).body);
      all.push(...page.data);
      if (!page.hasMore || page.nextCursor === null) break;
      query = `limit=4&since=${encodeURIComponent(page.nextCursor.since)}&afterId=${page.nextCursor.afterId}`;
    }
    assert.equal(all.length, server.requirements.count());
    assert.equal(new Set(all.map((r) => r.id)).size, all.length, 'no requirement appears twice');

    const forProduct = pageSchema.parse((await call(baseUrl, 'GET', '/api/requirements?productId=P-000003&limit=1000')).body).data;
    assert.equal(forProduct.length, 4);
    assert.ok(forProduct.every((r) => r.productId === 'P-000003'));

    const forDemand = pageSchema.parse((await call(baseUrl, 'GET', '/api/requirements?demandId=D-FEED-4')).body).data;
    assert.deepEqual(
      forDemand.map((r) => r.demands[0]?.demandId),
      ['D-FEED-4'],
    );
    const shared = pageSchema.parse((await call(baseUrl, 'GET', '/api/requirements?demandId=D-SHARED&productId=P-000003')).body).data;
    assert.equal(shared.length, 4, 'filters combine');
    assert.deepEqual(pageSchema.parse((await call(baseUrl, 'GET', '/api/requirements?demandId=D-NOBODY')).body).data, []);
  });

  test('replacing the links changes links and score; the same links again change nothing', async () => {
    const created = requirementOf(await create(newRequirement({ demands: [demandLink('D-R1'), demandLink('D-R2')] })), 201);
    const links = [demandLink('D-R1'), demandLink('D-R3', { matchReason: 'merged: similarity 0.71', priority: 'critical' })];

    const replaced = requirementOf(
      await call(baseUrl, 'PUT', `/api/requirements/${created.id}/demands`, { body: { demands: links, demandScore: 31.5 } }),
    );
    assert.deepEqual(replaced.demands, links);
    assert.equal(replaced.demandScore, 31.5);
    assert.ok(replaced.updatedAt > created.updatedAt);
    assert.equal(replaced.title, created.title, 'title and status are untouched');

    const again = requirementOf(
      await call(baseUrl, 'PUT', `/api/requirements/${created.id}/demands`, { body: { demands: links, demandScore: 31.5 } }),
    );
    assert.equal(again.updatedAt, replaced.updatedAt, 'no change, no new updatedAt');

    const byRemoved = pageSchema.parse((await call(baseUrl, 'GET', '/api/requirements?demandId=D-R2')).body).data;
    assert.deepEqual(byRemoved, [], 'an unlinked demand no longer finds the requirement');
    const byAdded = pageSchema.parse((await call(baseUrl, 'GET', '/api/requirements?demandId=D-R3')).body).data;
    assert.deepEqual(
      byAdded.map((r) => r.id),
      [created.id],
    );

    const duplicate = await call(baseUrl, 'PUT', `/api/requirements/${created.id}/demands`, {
      body: { demands: [demandLink('D-R1'), demandLink('D-R1')], demandScore: 1 },
    });
    assert.equal(duplicate.status, 400);
    const unknown = await call(baseUrl, 'PUT', '/api/requirements/REQ-999999/demands', { body: { demands: links, demandScore: 1 } });
    assert.equal(unknown.status, 404);
  });

  test('a link write based on a stale read answers 409 and writes nothing; one based on the current version lands', async () => {
    const created = requirementOf(await create(newRequirement({ demands: [demandLink('D-C1')] })), 201);
    const edited = requirementOf(
      await call(baseUrl, 'PUT', `/api/requirements/${created.id}/demands`, {
        body: { demands: [demandLink('D-C1'), demandLink('D-C9')], demandScore: 2 },
      }),
    );

    const stale = await call(baseUrl, 'PUT', `/api/requirements/${created.id}/demands`, {
      body: { demands: [demandLink('D-C1'), demandLink('D-C2')], demandScore: 2, expectedUpdatedAt: created.updatedAt },
    });
    assert.equal(stale.status, 409);
    assert.match(JSON.stringify(stale.body), /changed at .* read it again and resend\. Nothing was written/);
    const unchanged = requirementOf(await call(baseUrl, 'GET', `/api/requirements/${created.id}`));
    assert.deepEqual(
      unchanged.demands.map((d) => d.demandId),
      ['D-C1', 'D-C9'],
    );

    const current = await call(baseUrl, 'PUT', `/api/requirements/${created.id}/demands`, {
      body: { demands: [demandLink('D-C1'), demandLink('D-C9'), demandLink('D-C2')], demandScore: 3, expectedUpdatedAt: edited.updatedAt },
    });
    assert.equal(current.status, 200);
  });

  test('PATCH sets the status as a product manager does; an unknown status lists the allowed ones', async () => {
    const created = requirementOf(await create(newRequirement({ demands: [demandLink('D-P1')] })), 201);
    const released = requirementOf(await call(baseUrl, 'PATCH', `/api/requirements/${created.id}`, { body: { status: 'released' } }));
    assert.equal(released.status, 'released');
    assert.ok(released.updatedAt > created.updatedAt, 'the change reaches the feed');
    assert.deepEqual(released.demands, created.demands);

    const same = requirementOf(await call(baseUrl, 'PATCH', `/api/requirements/${created.id}`, { body: { status: 'released' } }));
    assert.equal(same.updatedAt, released.updatedAt, 'no change, no new updatedAt');

    const bad = await call(baseUrl, 'PATCH', `/api/requirements/${created.id}`, { body: { status: 'shipped' } });
    assert.equal(bad.status, 400);
    assert.match(
      errorOf(bad).message,
      /status must be one of 'new', 'under-review', 'planned', 'in-progress', 'released', 'declined' \(got "shipped"\)/,
    );
    const empty = await call(baseUrl, 'PATCH', `/api/requirements/${created.id}`, { body: {} });
    assert.match(errorOf(empty).message, /name at least one of status, title, description/);
    assert.equal((await call(baseUrl, 'PATCH', '/api/requirements/REQ-999999', { body: { status: 'planned' } })).status, 404);
  });

  test('a link written without score or state reads as linked with no score; a released or declined requirement is terminal', async () => {
    const bare: Record<string, unknown> = demandLink('D-OLD');
    delete bare.matchScore;
    delete bare.linkState;
    const created = requirementOf(await create(newRequirement({ demands: [bare] })), 201);
    assert.deepEqual(
      [created.demands[0]!.matchScore, created.demands[0]!.linkState, created.terminal, created.refersTo],
      [null, 'linked', false, null],
    );
    for (const [status, terminal] of [
      ['planned', false],
      ['released', true],
      ['declined', true],
    ] as const) {
      const patched = requirementOf(await call(baseUrl, 'PATCH', `/api/requirements/${created.id}`, { body: { status } }));
      assert.equal(patched.terminal, terminal, status);
    }
    const successor = requirementOf(await create(newRequirement({ demands: [demandLink('D-AFTER')], refersTo: created.id })), 201);
    assert.equal(successor.refersTo, created.id);
    const badScore = await create(newRequirement({ demands: [demandLink('D-BAD', { matchScore: 1.5 })] }));
    assert.match(errorOf(badScore).message, /matchScore must be at most 1/);
    const badState = await create(newRequirement({ demands: [demandLink('D-BAD', { linkState: 'maybe' })] }));
    assert.match(errorOf(badState).message, /linkState must be one of 'linked', 'suggested', 'confirmed', 'rejected'/);
  });

  test('a product manager confirms or rejects a suggested link with POST .../decision; deciding again the same way writes nothing', async () => {
    const suggestion = demandLink('D-S2', { matchReason: 'merged: score 0.31', matchScore: 0.31, linkState: 'suggested' });
    const created = requirementOf(await create(newRequirement({ demands: [demandLink('D-S1'), suggestion] })), 201);
    const decide = (demandId: string, body: unknown, id = created.id) =>
      call(baseUrl, 'POST', `/api/requirements/${id}/demands/${demandId}/decision`, { body });

    const confirmed = requirementOf(await decide('D-S2', { decision: 'confirm' }));
    assert.deepEqual(
      confirmed.demands.map((d) => [d.demandId, d.linkState, d.matchScore]),
      [
        ['D-S1', 'linked', null],
        ['D-S2', 'confirmed', 0.31],
      ],
    );
    assert.ok(confirmed.updatedAt > created.updatedAt, 'the decision reaches the feed');
    const again = requirementOf(await decide('D-S2', { decision: 'confirm' }));
    assert.equal(again.updatedAt, confirmed.updatedAt, 'no change, no new updatedAt');

    const rejected = requirementOf(await decide('D-S2', { decision: 'reject' }));
    assert.equal(rejected.demands[1]!.linkState, 'rejected');

    const notLinked = await decide('D-NOPE', { decision: 'confirm' });
    assert.equal(notLinked.status, 404);
    assert.match(errorOf(notLinked).message, /Demand 'D-NOPE' is not linked to requirement/);
    assert.equal((await decide('D-S2', { decision: 'confirm' }, 'REQ-999999')).status, 404);
    const bad = await decide('D-S2', { decision: 'maybe' });
    assert.equal(bad.status, 400);
    assert.match(errorOf(bad).message, /decision must be one of 'confirm', 'reject'/);
  });

  test('demand signals re-sent twice give the same sums; a changed order replaces its contribution', async () => {
    const batch = [
      { productId: 'P-000001', period: '2025-03', orderId: 'O-1', quantity: 5 },
      { productId: 'P-000001', period: '2025-03', orderId: 'O-2', quantity: 7 },
      { productId: 'P-000001', period: '2025-04', orderId: 'O-3', quantity: 4 },
      { productId: 'P-000002', period: '2025-03', orderId: 'O-1', quantity: 2 },
    ];
    const first = upsertResultsSchema.parse((await upsertSignals(batch)).body);
    assert.ok(first.results.every((result) => result.changed));
    const sums = await signals();
    const second = upsertResultsSchema.parse((await upsertSignals(batch)).body);
    assert.ok(second.results.every((result) => !result.changed));
    assert.deepEqual(await signals(), sums, 're-sending never double-counts');
    assert.deepEqual(sums, [
      { productId: 'P-000001', period: '2025-03', quantity: 12, orders: 2 },
      { productId: 'P-000001', period: '2025-04', quantity: 4, orders: 1 },
      { productId: 'P-000002', period: '2025-03', quantity: 2, orders: 1 },
    ]);

    await upsertSignals([
      { productId: 'P-000001', period: '2025-03', orderId: 'O-2', quantity: 1 },
      { productId: 'P-000001', period: '2025-04', orderId: 'O-3', quantity: 0 },
    ]);
    assert.deepEqual(await signals('?productId=P-000001'), [
      { productId: 'P-000001', period: '2025-03', quantity: 6, orders: 2 },
      { productId: 'P-000001', period: '2025-04', quantity: 0, orders: 0 },
    ]);
    assert.deepEqual(
      (await signals('?period=2025-03&productId=P-000002')).map((s) => s.quantity),
      [2],
    );
  });

  test('a signal batch naming an unknown product is refused whole, with every offender in details', async () => {
    const before = await signals();
    const answer = await upsertSignals([
      { productId: 'P-000001', period: '2025-05', orderId: 'O-9', quantity: 3 },
      { productId: 'P-777777', period: '2025-05', orderId: 'O-9', quantity: 1 },
      { productId: 'P-888888', period: '2025-05', orderId: 'O-9', quantity: 1 },
    ]);
    assert.equal(answer.status, 400);
    const error = errorOf(answer);
    assert.match(
      error.message,
      /^Batch refused: input 1: no product 'P-777777' exists in the PMS \(and 1 more, see details\)\. Nothing was written/,
    );
    assert.deepEqual(
      z
        .array(z.object({ index: z.number(), productId: z.string() }).loose())
        .parse(error.details)
        .map((d) => d.index),
      [1, 2],
    );
    assert.deepEqual(await signals(), before, 'the valid input of the batch was not written either');

    const badPeriod = await upsertSignals([{ productId: 'P-000001', period: '2025-13', orderId: 'O-9', quantity: 1 }]);
    assert.match(errorOf(badPeriod).message, /'inputs\[0\]\.period': period must be a month as YYYY-MM/);
    const negative = await upsertSignals([{ productId: 'P-000001', period: '2025-01', orderId: 'O-9', quantity: -1 }]);
    assert.match(errorOf(negative).message, /'inputs\[0\]\.quantity': quantity must be a whole number of 0 or more/);
  });

  test('requirement and signal routes without the right bearer token get 401 and write nothing', async () => {
    const count = server.requirements.count();
    for (const bearer of [null, 'wrong']) {
      assert.equal((await call(baseUrl, 'POST', '/api/requirements', { token: bearer, body: newRequirement() })).status, 401);
      assert.equal((await call(baseUrl, 'GET', '/api/requirements', { token: bearer })).status, 401);
      const signal = await call(baseUrl, 'POST', '/api/demand-signals/batch/upsert', {
        token: bearer,
        body: { inputs: [{ productId: 'P-000001', period: '2020-01', orderId: 'O-S', quantity: 1 }] },
      });
      assert.equal(signal.status, 401);
    }
    assert.equal(server.requirements.count(), count);
    assert.deepEqual(await signals('?period=2020-01'), []);
  });

  test('openapi.json documents the requirement and demand-signal routes', async () => {
    const document = z
      .object({ paths: z.record(z.string(), z.record(z.string(), z.looseObject({ responses: z.record(z.string(), z.unknown()) }))) })
      .parse((await call(baseUrl, 'GET', '/openapi.json', { token: null })).body);
    assert.deepEqual(Object.keys(document.paths['/api/requirements'] ?? {}).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(document.paths['/api/requirements/{id}'] ?? {}).sort(), ['get', 'patch']);
    assert.ok(document.paths['/api/requirements/{id}/demands']?.put);
    assert.ok(document.paths['/api/requirements/{id}/demands/{demandId}/decision']?.post);
    assert.ok(document.paths['/api/demand-signals']?.get);
    assert.ok(document.paths['/api/demand-signals/batch/upsert']?.post);
    assert.ok(document.paths['/api/requirements']?.post?.responses['201'], 'the create documents its 201');
  });
});

describe('sandbox PMS requirements persistence', () => {
  test('requirements, their links, idempotency keys and signals survive closing and reopening the file', async () => {
    await withTempDir('sandbox-pms-requirements-restart-', async (dir) => {
      const dbPath = path.join(dir, 'pms.db');
      const first = createPmsServer({ dbPath, token, logger, seedProducts: 5 });
      const firstUrl = await first.listen();
      const body = newRequirement({ demands: [demandLink('D-KEEP')], idempotencyKey: 'crm-demand:D-KEEP' });
      const created = requirementOf(await call(firstUrl, 'POST', '/api/requirements', { body }), 201);
      await call(firstUrl, 'POST', '/api/demand-signals/batch/upsert', {
        body: { inputs: [{ productId: 'P-000002', period: '2025-06', orderId: 'O-1', quantity: 9 }] },
      });
      await first.close();

      const second = createPmsServer({ dbPath, token, logger, seedProducts: 5 });
      const secondUrl = await second.listen();
      try {
        assert.equal(second.store.count(), 5, 'products share the file and are not seeded again');
        assert.deepEqual(
          requirementOf(await call(secondUrl, 'POST', '/api/requirements', { body }), 200),
          created,
          'the key still deduplicates',
        );
        const byDemand = pageSchema.parse((await call(secondUrl, 'GET', '/api/requirements?demandId=D-KEEP')).body).data;
        assert.deepEqual(byDemand, [created]);
        const next = requirementOf(await call(secondUrl, 'POST', '/api/requirements', { body: newRequirement() }), 201);
        assert.equal(next.id, 'REQ-000002', 'the sequence continues');
        assert.ok(next.updatedAt > created.updatedAt, 'timestamps keep increasing across restarts');
        const kept = signalsSchema.parse((await call(secondUrl, 'GET', '/api/demand-signals?productId=P-000002')).body).data;
        assert.deepEqual(kept, [{ productId: 'P-000002', period: '2025-06', quantity: 9, orders: 1 }]);
      } finally {
        await second.close();
      }
    });
  });
});

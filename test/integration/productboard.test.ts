import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { configSchema } from '../../src/config/configSchema';
import type { DemandNote } from '../../src/connectors/demandConnectors';
import { AuthenticationError, RateLimitedError } from '../../src/shared/systemErrors';
import { ProductboardNotes } from '../../src/connectors/productboard';
import { productboardSystemSchema } from '../../src/connectors/productboardConfig';
import { buildIntegrations } from '../../src/integrations';
import { startProductboardFake, type ProductboardFake } from '../fakes/productboardFake';

const token = 'pb-jwt-test';
let fake: ProductboardFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(fakeOptions: { perSecond?: number; pageSize?: number } = {}, config: Record<string, unknown> = {}) {
  fake = await startProductboardFake({ token, ...fakeOptions });
  fake.entities.set('feat-export', 'feature');
  fake.entities.set('feat-sso', 'feature');
  fake.entities.set('comp-acme', 'company');
  fake.entities.set('comp-globex', 'company');
  const sink = new ProductboardNotes({ token, config: productboardSystemSchema.parse({ kind: 'productboard', url: fake.url, ...config }) });
  return { fake, sink };
}

const demand = (id: string, entityIds = ['feat-export'], companyId = 'comp-acme'): DemandNote => ({
  demandId: id,
  title: `Demand ${id}`,
  description: 'Export reports to <Excel>\n\nEvery month',
  companyId,
  entityIds,
});

describe('Productboard notes: lookup by source record id, then create; idempotent', () => {
  test('a demand whose note a product manager archived gets no second note: archived notes are looked up too', async () => {
    const { fake, sink } = await setup();
    const [first] = await sink.recordDemandNotes([demand('D-A')]);
    fake.notes.get(first!.noteId!)!.fields.archived = true;
    const [again] = await sink.recordDemandNotes([demand('D-A')]);
    assert.deepEqual([again!.noteId, again!.created], [first!.noteId, false]);
    assert.equal(fake.notes.size, 1);
    assert.ok(
      fake.requests.some((r) => r === 'GET /v2/notes'),
      'the lookup went through the list endpoint',
    );
  });

  test('notes link to feature, subfeature, product or component; initiative is refused by the configuration', () => {
    for (const entityType of ['feature', 'subfeature', 'product', 'component'])
      assert.equal(productboardSystemSchema.parse({ kind: 'productboard', entityType }).entityType, entityType);
    const refused = productboardSystemSchema.safeParse({ kind: 'productboard', entityType: 'initiative' });
    assert.equal(refused.success, false);
    assert.deepEqual(refused.error.issues[0]!.path, ['entityType']);
  });

  test('a note linked to a subfeature keeps its subfeature link type', async () => {
    const { fake } = await setup();
    const sub = fake.addEntity('subfeature', 'CSV export');
    const sink = new ProductboardNotes({
      token,
      config: productboardSystemSchema.parse({ kind: 'productboard', url: fake.url, entityType: 'subfeature' }),
    });
    const [outcome] = await sink.recordDemandNotes([demand('D-S', [sub])]);
    assert.equal(outcome!.error, undefined);
    assert.deepEqual(
      fake.notes
        .get(outcome!.noteId!)!
        .relationships.filter((r) => r.type === 'link')
        .map((r) => r.target),
      [{ type: 'subfeature', id: sub }],
    );
  });

  test('creates one note per demand with its source, links it to the feature and the company; writing again changes nothing', async () => {
    const { fake, sink } = await setup({ pageSize: 5 });
    fake.addForeignNotes(12);
    const first = await sink.recordDemandNotes([demand('D-1'), demand('D-2', ['feat-export', 'feat-sso'], 'comp-globex')]);
    assert.deepEqual(
      first.map((o) => [o.demandId, o.created, o.error]),
      [
        ['D-1', true, undefined],
        ['D-2', true, undefined],
      ],
    );
    const note = fake.notes.get(first[1]!.noteId!)!;
    assert.deepEqual(note.metadata.source, { system: 'crm-pms-bridge', recordId: 'D-2' });
    assert.equal(note.fields.content, '<p>Export reports to &lt;Excel&gt;</p><p>Every month</p>');
    assert.deepEqual(note.relationships.map((r) => `${r.type}:${r.target.type}:${r.target.id}`).sort(), [
      'customer:company:comp-globex',
      'link:feature:feat-export',
      'link:feature:feat-sso',
    ]);

    const writesBefore = fake.requests.filter((r) => r.startsWith('POST')).length;
    const again = await sink.recordDemandNotes([demand('D-1'), demand('D-2', ['feat-export', 'feat-sso'], 'comp-globex')]);
    assert.deepEqual(
      again.map((o) => [o.noteId, o.created]),
      first.map((o) => [o.noteId, false]),
    );
    assert.equal(fake.notes.size, 14, 'no second note');
    assert.equal(fake.requests.filter((r) => r.startsWith('POST')).length, writesBefore, 'no write at all the second time');
  });

  test('a note written by another system with the same record id is not taken for the bridge note', async () => {
    const { fake, sink } = await setup();
    fake.notes.set('foreign', {
      id: 'foreign',
      type: 'textNote',
      fields: { name: 'x', content: '', archived: false, processed: false },
      metadata: { source: { system: 'zendesk', recordId: 'D-9' } },
      relationships: [],
      updatedAt: '2026-11-01T00:00:00.000Z',
    });
    const [outcome] = await sink.recordDemandNotes([demand('D-9')]);
    assert.equal(outcome!.created, true);
    assert.notEqual(outcome!.noteId, 'foreign');
  });

  test('a link added to the demand later is added to its note, the customer moved, nothing duplicated', async () => {
    const { fake, sink } = await setup();
    const [first] = await sink.recordDemandNotes([demand('D-3')]);
    await sink.recordDemandNotes([demand('D-3', ['feat-export', 'feat-sso'], 'comp-globex')]);
    const relationships = fake.notes
      .get(first!.noteId!)!
      .relationships.map((r) => `${r.type}:${r.target.id}`)
      .sort();
    assert.deepEqual(relationships, ['customer:comp-globex', 'link:feat-export', 'link:feat-sso']);
  });

  test('a feature that does not exist fails that note alone with Productboard reason', async () => {
    const { sink } = await setup();
    const outcomes = await sink.recordDemandNotes([demand('D-4', ['feat-gone']), demand('D-5')]);
    assert.match(outcomes[0]!.error ?? '', /feature feat-gone does not exist/);
    assert.equal(outcomes[1]!.error, undefined);
  });
});

describe('Productboard features and companies by name', () => {
  test('names are looked up page by page among entities of the type, without regard to case, and kept for nameCacheMs', async () => {
    const { fake, sink } = await setup({ pageSize: 2 });
    const exportId = fake.addEntity('feature', 'Export to Excel');
    fake.addEntity('feature', 'Dark mode');
    fake.addEntity('feature', 'Audit log');
    fake.addEntity('feature', 'Audit log');
    const acmeId = fake.addEntity('company', 'Acme GmbH');
    const features = await sink.idsByName('entity', ['export to excel ', 'Audit log', 'Nowhere']);
    assert.deepEqual(features.get('export to excel '), [exportId]);
    assert.equal(features.get('Audit log')!.length, 2, 'both namesakes, so the caller can refuse to guess');
    assert.deepEqual(features.get('Nowhere'), []);
    assert.deepEqual((await sink.idsByName('company', ['ACME GMBH'])).get('ACME GMBH'), [acmeId]);
    const listed = fake.requests.filter((r) => r === 'GET /v2/entities').length;
    assert.ok(listed >= 3, 'features (several pages) and companies were listed');
    await sink.idsByName('entity', ['Dark mode']);
    assert.equal(fake.requests.filter((r) => r === 'GET /v2/entities').length, listed, 'read once, then cached');
  });

  test('with nameCacheMs 0 a feature created meanwhile is found at the next lookup', async () => {
    const { fake, sink } = await setup({}, { nameCacheMs: 0 });
    assert.deepEqual((await sink.idsByName('entity', ['SSO'])).get('SSO'), []);
    const id = fake.addEntity('feature', 'SSO');
    assert.deepEqual((await sink.idsByName('entity', ['SSO'])).get('SSO'), [id]);
  });
});

describe('Productboard limits and credentials', () => {
  test('429 waits the Retry-After Productboard sends', async () => {
    const { fake, sink } = await setup();
    fake.rateLimitNext(1);
    await assert.rejects(
      sink.recordDemandNotes([demand('D-6')]),
      (error) => error instanceof RateLimitedError && error.retryAfterMs === 1000,
    );
  });

  test('the connector keeps to the per-token rate instead of collecting 429s', async () => {
    const { fake, sink } = await setup({ perSecond: 20 }, { requestsPerSecond: 20 });
    await sink.recordDemandNotes(Array.from({ length: 10 }, (_, i) => demand(`D-${100 + i}`)));
    assert.equal(fake.refusals(), 0);
    assert.equal(fake.notes.size, 10);
  });

  test('a wrong token is a non-retryable credentials error', async () => {
    fake = await startProductboardFake({ token });
    const sink = new ProductboardNotes({ token: 'wrong', config: productboardSystemSchema.parse({ kind: 'productboard', url: fake.url }) });
    await assert.rejects(sink.recordDemandNotes([demand('D-7')]), (error) => error instanceof AuthenticationError && !error.retryable);
  });

  test('configured by YAML alone, with the token from PRODUCTBOARD_TOKEN', async () => {
    const { fake } = await setup();
    const config = configSchema.parse({
      systems: {
        pms: { kind: 'sandbox-pms', url: 'http://127.0.0.1:1', token: 't' },
        crm: { kind: 'sandbox-crm', url: 'http://127.0.0.1:2', token: 't' },
        pb: { kind: 'productboard', url: fake.url },
      },
      productSyncs: [{ id: 'products', source: 'pms', target: 'crm' }],
    });
    const sink = buildIntegrations(config, { env: { PRODUCTBOARD_TOKEN: token } }).noteSinks.get('pb')!;
    const [outcome] = await sink.recordDemandNotes([demand('D-8')]);
    assert.equal(outcome!.created, true);
    assert.throws(() => buildIntegrations(config, { env: {} }), /PRODUCTBOARD_TOKEN, which is not set/);
  });
});

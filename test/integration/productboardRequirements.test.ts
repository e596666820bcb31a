import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { configSchema } from '../../src/config/configSchema';
import { productboardSystemSchema } from '../../src/connectors/productboardConfig';
import { ProductboardRequirements } from '../../src/connectors/productboardRequirements';
import type { DemandLink } from '../../src/domain/requirement';
import { buildIntegrations } from '../../src/integrations';
import {
  AuthenticationError,
  ConflictError,
  InvalidResponseError,
  RateLimitedError,
  RequestRejectedError,
} from '../../src/shared/systemErrors';
import { startProductboardFake, type ProductboardFake } from '../fakes/productboardFake';

const token = 'pb-requirements-token';
let fake: ProductboardFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(requirements: Record<string, unknown> = {}, fakeOptions: { pageSize?: number } = {}) {
  fake = await startProductboardFake({ token, ...fakeOptions });
  const component = fake.addEntity('component', 'Reporting');
  const acme = fake.addEntity('company', 'Acme GmbH');
  const config = productboardSystemSchema.parse({
    kind: 'productboard',
    url: fake.url,
    requirements: { createFeatures: true, parentByProduct: { 'P-1': component }, ...requirements },
  });
  return { fake, component, acme, store: new ProductboardRequirements({ token, config }) };
}

const link = (demandId: string, extra: Partial<DemandLink> = {}): DemandLink => ({
  demandId,
  title: `Export reports to Excel (${demandId})`,
  kind: 'feature-request',
  priority: 'high',
  accountId: 'A-1',
  accountName: 'Acme GmbH',
  segment: 'enterprise',
  accountValue: 120_000,
  matchReason: null,
  linkedAt: '2026-11-01T00:00:00.000Z',
  matchScore: null,
  linkState: 'linked',
  ...extra,
});

const newRequirement = (demandId: string) => ({
  title: 'Export reports to Excel',
  description: 'Monthly reports\n\nas .xlsx',
  productId: 'P-1',
  demands: [link(demandId)],
  demandScore: 14,
  idempotencyKey: `crm-demand:${demandId}`,
});

const noteOf = (pb: ProductboardFake, demandId: string) => [...pb.notes.values()].find((n) => n.metadata.source.recordId === demandId)!;

describe('Productboard requirement store: features and the notes of their demands', () => {
  test('a new requirement is a feature under the product component, its demand a note with its source, linked, attributed to the company; a retried create finds both', async () => {
    const { fake, component, acme, store } = await setup();
    const created = await store.create(newRequirement('D-1'));
    assert.equal(fake.entities.get(created.id), 'feature');
    assert.equal(fake.entityData.get(created.id)!.parentId, component);
    const note = noteOf(fake, 'D-1');
    assert.deepEqual(note.metadata.source, { system: 'crm-pms-bridge', recordId: 'D-1' });
    assert.match(note.fields.content, /Asked by Acme GmbH \(enterprise, annual value 120000\) · priority high · feature-request/);
    assert.deepEqual(note.relationships.map((r) => `${r.type}:${r.target.id}`).sort(), [`customer:${acme}`, `link:${created.id}`].sort());
    assert.deepEqual(
      created.demands.map((d) => [d.demandId, d.accountName, d.accountValue, d.linkState]),
      [['D-1', 'Acme GmbH', 120_000, 'linked']],
    );

    const again = await store.create(newRequirement('D-1'));
    assert.equal(again.id, created.id, 'the feature is found by the demand that made it');
    assert.equal([...fake.entities.values()].filter((t) => t === 'feature').length, 1);
    assert.equal(fake.notes.size, 1);
    assert.equal((await store.findByDemand('D-1'))?.id, created.id);
  });

  test('with createFeatures off a demand nothing matches stays an unlinked note in the insights inbox until a product manager links it', async () => {
    const { fake, store } = await setup({ createFeatures: false });
    const created = await store.create(newRequirement('D-2'));
    assert.match(created.id, /^note:/);
    assert.equal(created.status, 'In triage');
    assert.equal([...fake.entities.values()].filter((t) => t === 'feature').length, 0, 'no feature created');
    const note = noteOf(fake, 'D-2');
    assert.deepEqual(
      note.relationships.filter((r) => r.type === 'link'),
      [],
    );
    assert.equal(note.fields.processed, false);
    assert.equal((await store.findByDemand('D-2'))?.id, created.id);

    const feature = fake.addEntity('feature', 'Excel export');
    note.relationships.push({ type: 'link', target: { type: 'feature', id: feature } });
    assert.equal((await store.findByDemand('D-2'))?.id, feature, "the product manager's triage decides");
  });

  test('candidates of a product are the features under its component, read page by page, each with its demands', async () => {
    const { fake, component, store } = await setup({}, { pageSize: 2 });
    for (const name of ['A', 'B', 'C', 'D', 'E']) fake.addEntity('feature', `Feature ${name}`, { parentId: component });
    fake.addEntity('feature', 'Elsewhere');
    const created = await store.create(newRequirement('D-3'));
    fake.addForeignNotes(5);
    const candidates = await store.listForProduct('P-1');
    assert.equal(candidates.length, 6);
    assert.deepEqual(
      candidates.find((c) => c.id === created.id)!.demands.map((d) => d.demandId),
      ['D-3'],
    );
    assert.ok(candidates.every((c) => c.productId === 'P-1'));
  });

  test('linking a second demand writes its note and link once; the same call again writes nothing; a product manager edit meanwhile is a conflict', async () => {
    const { fake, store } = await setup();
    const created = await store.create(newRequirement('D-4'));
    const both = [
      ...created.demands,
      link('D-5', { matchReason: 'merged: same words', matchScore: 0.9, accountId: 'A-2', accountName: 'Globex' }),
    ];
    const updated = await store.replaceLinks(created.id, both, 30, created.updatedAt);
    assert.deepEqual(
      updated.demands.map((d) => [d.demandId, d.matchReason, d.linkState]),
      [
        ['D-4', null, 'linked'],
        ['D-5', 'merged: same words', 'linked'],
      ],
    );
    const writes = fake.writes();
    await store.replaceLinks(updated.id, updated.demands, 30, updated.updatedAt);
    assert.equal(fake.writes(), writes, 'nothing written when nothing changed');

    fake.setStatus(created.id, 'Planned');
    await assert.rejects(store.replaceLinks(created.id, both, 30, updated.updatedAt), ConflictError);
  });

  test('a suggestion stays an unprocessed, unlinked note naming the feature; the product manager confirms by linking or rejects by processing, and the bridge keeps that decision', async () => {
    const { fake, store } = await setup();
    const created = await store.create(newRequirement('D-6'));
    const suggested = [
      ...created.demands,
      link('D-7', { matchScore: 0.6, linkState: 'suggested' }),
      link('D-8', { matchScore: 0.55, linkState: 'suggested' }),
    ];
    const after = await store.replaceLinks(created.id, suggested, 20, created.updatedAt);
    assert.deepEqual(
      after.demands.map((d) => [d.demandId, d.linkState]),
      [
        ['D-6', 'linked'],
        ['D-7', 'suggested'],
        ['D-8', 'suggested'],
      ],
    );
    const d7 = noteOf(fake, 'D-7');
    assert.deepEqual(
      d7.relationships.filter((r) => r.type === 'link'),
      [],
    );
    assert.match(d7.fields.content, /Suggested feature: Export reports to Excel \(match 0.6\)/);

    d7.relationships.push({ type: 'link', target: { type: 'feature', id: created.id } });
    noteOf(fake, 'D-8').fields.processed = true;
    const decided = (await store.get(created.id))!;
    assert.deepEqual(
      decided.demands.map((d) => [d.demandId, d.linkState]),
      [
        ['D-6', 'linked'],
        ['D-7', 'confirmed'],
        ['D-8', 'rejected'],
      ],
    );
    const relinked = decided.demands.map((d) => ({ ...d, linkState: 'linked' as const, title: `${d.title}!` }));
    await store.replaceLinks(created.id, relinked, 20, decided.updatedAt);
    assert.deepEqual(
      noteOf(fake, 'D-8').relationships.filter((r) => r.type === 'link'),
      [],
      'a rejected suggestion is not linked by a later run',
    );
    assert.equal((await store.get(created.id))!.demands.find((d) => d.demandId === 'D-8')!.linkState, 'rejected');
  });

  test("status and terminal come from the feature's status; changes are read after the cursor, page by page", async () => {
    const { fake, component, store } = await setup({ terminalStatuses: ['Released', 'Declined'] });
    const ids = ['A', 'B', 'C'].map((name) => fake.addEntity('feature', `Feature ${name}`, { parentId: component, status: 'New' }));
    const first = await store.listChanges(null, 2);
    assert.equal(first.records.length, 2);
    assert.equal(first.hasMore, true);
    const rest = await store.listChanges(first.nextCursor, 2);
    assert.equal(rest.hasMore, false);
    fake.setStatus(ids[1]!, 'Released');
    const changed = await store.listChanges(rest.nextCursor, 10);
    assert.deepEqual(
      changed.records.map((r) => [r.id, r.status, r.terminal]),
      [[ids[1], 'Released', true]],
    );
  });

  test('a feature deleted while linked is reported on the write and the next lookup decides again', async () => {
    const { fake, store } = await setup();
    const created = await store.create(newRequirement('D-9'));
    fake.deleteEntity(created.id);
    await assert.rejects(
      store.replaceLinks(created.id, [...created.demands, link('D-10')], 20, created.updatedAt),
      (error: unknown) => error instanceof RequestRejectedError && error.status === 404 && error.message.includes(created.id),
    );
    assert.equal(await store.findByDemand('D-9'), undefined, 'the demand is placed anew by the next run');
  });

  test('a write cut short by a rate limit and done again leaves one note and one link', async () => {
    const { fake, store } = await setup();
    const created = await store.create(newRequirement('D-11'));
    const both = [...created.demands, link('D-12')];
    // The link of D-12 is refused: its note exists, its link not yet.
    fake.rateLimitWhen('POST', /^\/v2\/notes\/[^/]+\/relationships$/);
    await assert.rejects(store.replaceLinks(created.id, both, 20, created.updatedAt), RateLimitedError);
    assert.equal(noteOf(fake, 'D-12').relationships.filter((r) => r.type === 'link').length, 0);
    const done = await store.replaceLinks(created.id, both, 20, created.updatedAt);
    assert.deepEqual(
      done.demands.map((d) => d.demandId),
      ['D-11', 'D-12'],
    );
    assert.equal([...fake.notes.values()].filter((n) => n.metadata.source.recordId === 'D-12').length, 1);
    assert.equal(noteOf(fake, 'D-12').relationships.filter((r) => r.type === 'link').length, 1);
  });
});

describe('Productboard requirement store: refusals and answers it must not act on', () => {
  test('429 with Retry-After waits what Productboard asks; 429 without it waits the default second', async () => {
    const { fake, store } = await setup();
    fake.rateLimitNext(1, { retryAfter: '2' });
    await assert.rejects(store.listForProduct('P-1'), (error: unknown) => error instanceof RateLimitedError && error.retryAfterMs === 2000);
    fake.rateLimitNext(1, { retryAfter: null });
    await assert.rejects(store.listForProduct('P-1'), (error: unknown) => error instanceof RateLimitedError && error.retryAfterMs === 1000);
    assert.equal((await store.listForProduct('P-1')).length, 0, 'after the wait the same call answers');
  });

  test('429 on the second page of a list fails the whole read rather than returning half the features', async () => {
    const { fake, component, store } = await setup({}, { pageSize: 2 });
    for (const name of ['A', 'B', 'C']) fake.addEntity('feature', name, { parentId: component });
    fake.rateLimitWhen('GET', /^\/v2\/entities\?.*pageCursor=2/);
    await assert.rejects(store.listForProduct('P-1'), RateLimitedError);
    assert.equal((await store.listForProduct('P-1')).length, 3);
  });

  test('an expired token mid-run is a credentials error naming Productboard, not retried', async () => {
    const { fake, store } = await setup();
    await store.create(newRequirement('D-13'));
    fake.expireToken();
    await assert.rejects(
      store.findByDemand('D-13'),
      (error: unknown) =>
        error instanceof AuthenticationError &&
        !error.retryable &&
        /Productboard rejected the bridge's credentials \(401/.test(error.message),
    );
  });

  test('an answer of a shape the API never documented is refused, not half-read', async () => {
    const { fake, store } = await setup();
    fake.malformNext('/v2/entities');
    await assert.rejects(
      store.listForProduct('P-1'),
      (error: unknown) => error instanceof InvalidResponseError && /unexpected shape/.test(error.message),
    );
  });

  test('a configured score field or parent the workspace lacks is an error naming the setting', async () => {
    const missingField = await setup({ demandScoreField: 'Demand score' });
    await assert.rejects(
      missingField.store.create(newRequirement('D-14')),
      (error: unknown) => error instanceof RequestRejectedError && /requirements\.demandScoreField \(Demand score\)/.test(error.message),
    );
    missingField.fake.addCustomField('Demand score');
    const created = await missingField.store.create(newRequirement('D-14'));
    assert.equal(created.demandScore, 14);
    await missingField.fake.close();

    const missingParent = await setup({ parentByProduct: { 'P-1': 'no-such-component' } });
    await assert.rejects(
      missingParent.store.create(newRequirement('D-15')),
      (error: unknown) =>
        error instanceof RequestRejectedError && /requirements\.parentByProduct \/ defaultParent \(no-such-component\)/.test(error.message),
    );
    await missingParent.fake.close();
    const unplaced = await setup({ parentByProduct: {} });
    await assert.rejects(unplaced.store.create(newRequirement('D-16')), /defaultParent/);
  });

  test('a system that cannot hold requirements as the PMS of a demand sync is refused naming the field and the kinds that can', () => {
    const config = configSchema.parse({
      systems: {
        a: { kind: 'sandbox-pms', url: 'http://127.0.0.1:1', token: 't' },
        b: { kind: 'sandbox-crm', url: 'http://127.0.0.1:2', token: 't' },
      },
      productSyncs: [{ id: 'products', source: 'a', target: 'b' }],
      demandSyncs: [{ id: 'demands', crm: 'b', pms: 'b' }],
    });
    assert.throws(
      () => buildIntegrations(config),
      /demandSyncs\[\]\.pms names system 'b', a sandbox-crm, which cannot hold requirements; use a sandbox-pms, productboard, jira or rest \(with a requirements section\) system/,
    );
    const productboard = configSchema.parse({
      ...config,
      systems: { ...config.systems, pb: { kind: 'productboard', url: 'http://127.0.0.1:3', token: 'x' } },
      demandSyncs: [{ id: 'demands', crm: 'b', pms: 'pb' }],
    });
    assert.equal(buildIntegrations(productboard).demands.get('demands')!.pms.system, 'Productboard');
  });

  test('a misspelt store setting is named with its path', () => {
    const result = productboardSystemSchema.safeParse({ kind: 'productboard', requirements: { createFeature: true } });
    assert.equal(result.success, false);
    assert.match(JSON.stringify(result.error.issues), /createFeature/);
    assert.deepEqual(result.error.issues[0]!.path, ['requirements']);
  });
});

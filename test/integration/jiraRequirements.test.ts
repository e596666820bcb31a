import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jiraSystemSchema } from '../../src/connectors/jiraConfig';
import { JiraRequirements } from '../../src/connectors/jiraRequirements';
import { basicHeader, staticHeaders } from '../../src/connectors/restAuth';
import type { DemandLink } from '../../src/domain/requirement';
import type { ChangeCursor } from '../../src/shared/changeCursor';
import {
  AuthenticationError,
  ConflictError,
  InvalidResponseError,
  RateLimitedError,
  RequestRejectedError,
} from '../../src/shared/systemErrors';
import { startJiraFake, type JiraFake, type JiraFakeOptions } from '../fakes/jiraFake';

const authorization = basicHeader('bridge@example.com', 'api-token');

const link = (demandId: string, overrides: Partial<DemandLink> = {}): DemandLink => ({
  demandId,
  title: `Demand ${demandId}`,
  kind: 'feature-request',
  priority: 'high',
  accountId: `A-${demandId}`,
  accountName: 'Acme',
  segment: 'enterprise',
  accountValue: 120_000,
  matchReason: null,
  linkedAt: '2026-12-01T10:00:00.000Z',
  matchScore: null,
  linkState: 'linked',
  ...overrides,
});

const newRequirement = (demandId: string, productId = 'P-1') => ({
  title: `Export for ${demandId}`,
  description: 'Customers want\nexports',
  productId,
  demands: [link(demandId)],
  demandScore: 7,
  idempotencyKey: `crm-demand:${demandId}`,
});

function storeFor(fake: JiraFake, overrides: Record<string, unknown> = {}): JiraRequirements {
  const config = jiraSystemSchema.parse({
    kind: 'jira',
    url: fake.url,
    project: 'PROD',
    scoreField: 'customfield_10050',
    demandUrl: 'https://crm.example.com/demands/{demandId}',
    pageSize: 2,
    ...overrides,
  });
  return new JiraRequirements({ config, auth: staticHeaders({ authorization }) });
}

describe('Jira requirement store against the Jira Cloud REST v3 fake, over HTTP', () => {
  let fake: JiraFake;
  before(async () => {
    fake = await startJiraFake({ authorization, maxPage: 2 });
  });
  after(() => fake.close());

  test('create makes one issue with the score, product label and a remote link per demand; a retried create returns it', async () => {
    const store = storeFor(fake);
    const first = await store.create(newRequirement('D-1'));
    const again = await store.create(newRequirement('D-1'));
    assert.equal(again.id, first.id);
    const issue = fake.issues.get(first.id)!;
    assert.deepEqual(issue.custom, { customfield_10050: 7 });
    assert.ok(issue.labels.includes('crm-product-P-1') && issue.labels.includes('crm-demand-D-1'));
    assert.equal(issue.remoteLinks.length, 1);
    assert.equal(issue.remoteLinks[0]!.globalId, 'crm-pms-bridge:demand:D-1');
    assert.equal(issue.remoteLinks[0]!.object.url, 'https://crm.example.com/demands/D-1');
    assert.match(issue.remoteLinks[0]!.object.summary!, /Acme \(enterprise\) · account value 120000 · priority high/);
    assert.deepEqual(
      { ...first, updatedAt: 'x' },
      {
        id: first.id,
        title: 'Export for D-1',
        description: 'Customers want\nexports',
        productId: 'P-1',
        status: 'To Do',
        terminal: false,
        demands: [link('D-1')],
        demandScore: 7,
        updatedAt: 'x',
      },
    );
    assert.equal((await store.findByDemand('D-1'))?.id, first.id);
    assert.deepEqual(
      (await store.listForProduct('P-1')).map((r) => r.id),
      [first.id],
    );
  });

  test('replacing links updates each remote link by globalId (never a second one), removes dropped ones and refuses a stale version', async () => {
    const store = storeFor(fake);
    const created = await store.create(newRequirement('D-2'));
    const updated = await store.replaceLinks(created.id, [link('D-2', { accountValue: 5 }), link('D-3')], 9, created.updatedAt);
    assert.deepEqual(
      fake.issues.get(created.id)!.remoteLinks.map((l) => l.globalId),
      ['crm-pms-bridge:demand:D-2', 'crm-pms-bridge:demand:D-3'],
    );
    assert.equal(updated.demandScore, 9);
    await assert.rejects(store.replaceLinks(created.id, [link('D-2')], 1, created.updatedAt), ConflictError);
    const last = await store.replaceLinks(created.id, [link('D-3')], 4, updated.updatedAt);
    assert.deepEqual(
      fake.issues.get(created.id)!.remoteLinks.map((l) => l.globalId),
      ['crm-pms-bridge:demand:D-3'],
    );
    assert.ok(!fake.issues.get(created.id)!.labels.includes('crm-demand-D-2'));
    assert.equal((await store.findByDemand('D-2'))?.id, undefined);
    assert.equal(last.demands.length, 1);
  });

  test('a suggestion carries the crm-suggested label; removing the label confirms, deleting the remote link rejects, and a later write keeps both decisions', async () => {
    const store = storeFor(fake);
    const created = await store.create(newRequirement('D-10', 'P-9'));
    const suggested = await store.replaceLinks(
      created.id,
      [link('D-10'), link('D-11', { linkState: 'suggested', matchScore: 0.7 }), link('D-12', { linkState: 'suggested', matchScore: 0.6 })],
      3,
      created.updatedAt,
    );
    assert.ok(fake.issues.get(created.id)!.labels.includes('crm-suggested'));
    assert.equal(
      fake.issues.get(created.id)!.remoteLinks.find((l) => l.globalId?.endsWith('D-11'))!.relationship,
      'suggested customer demand',
    );
    assert.deepEqual(
      suggested.demands.map((d) => d.linkState),
      ['linked', 'suggested', 'suggested'],
    );
    fake.deleteRemoteLink(created.id, 'crm-pms-bridge:demand:D-12');
    fake.removeLabel(created.id, 'crm-suggested');
    const decided = (await store.get(created.id))!;
    assert.deepEqual(
      decided.demands.map((d) => `${d.demandId}:${d.linkState}`),
      ['D-10:linked', 'D-11:confirmed', 'D-12:rejected'],
    );
    // A later run sends them as suggestions again: the product manager's decisions stay.
    const rewritten = await store.replaceLinks(
      created.id,
      [link('D-10'), link('D-11', { linkState: 'suggested' }), link('D-12', { linkState: 'suggested' })],
      3,
      decided.updatedAt,
    );
    assert.deepEqual(
      rewritten.demands.map((d) => `${d.demandId}:${d.linkState}`),
      ['D-10:linked', 'D-11:confirmed', 'D-12:rejected'],
    );
    const issue = fake.issues.get(created.id)!;
    assert.ok(!issue.labels.includes('crm-suggested'), 'no suggestion is pending, so no label');
    assert.ok(!issue.remoteLinks.some((l) => l.globalId?.endsWith('D-12')), 'a rejected link is not put back');
  });

  test('changes are read page by page with nextPageToken, from a minute before the cursor, each issue once; done is terminal', async () => {
    const local = await startJiraFake({ authorization, maxPage: 2 });
    try {
      const store = storeFor(local);
      const ids: string[] = [];
      for (const n of [1, 2, 3, 4, 5]) ids.push((await store.create(newRequirement(`C-${n}`))).id);
      const seen: string[] = [];
      let cursor: ChangeCursor | null = null;
      let pages = 0;
      for (;;) {
        const page = await store.listChanges(cursor, 2);
        seen.push(...page.records.map((r) => r.id));
        pages += 1;
        cursor = page.nextCursor ?? cursor;
        if (!page.hasMore) break;
      }
      assert.deepEqual(seen, ids, 'every issue once, in change order');
      assert.ok(pages >= 3);
      const searches = local.requests.filter((r) => r === 'POST /rest/api/3/search/jql').length;
      assert.ok(searches >= 3, 'several search pages');
      // The same minute again: the overlap is read but nothing is handed out twice.
      local.setStatus(ids[1]!, 'Released', 'done');
      const next = await store.listChanges(cursor, 10);
      assert.deepEqual(
        next.records.map((r) => [r.id, r.status, r.terminal]),
        [[ids[1], 'Released', true]],
      );
      const empty = await store.listChanges(next.nextCursor, 10);
      assert.deepEqual(empty.records, []);
    } finally {
      await local.close();
    }
  });

  test('each kind of 429 is a RateLimitedError naming its reason and delay: burst, per-issue write, and one without Retry-After', async () => {
    const store = storeFor(fake);
    await store.get('PROD-1'); // configuration checked before the limits start
    fake.rateLimitNext(1, 'jira-burst-based');
    await assert.rejects(store.get('PROD-1'), (error: unknown) => {
      assert.ok(error instanceof RateLimitedError);
      assert.equal(error.retryAfterMs, 1000);
      assert.match(error.message, /jira-burst-based: too many requests per second/);
      return true;
    });
    fake.rateLimitNext(1, 'jira-per-issue-on-write');
    await assert.rejects(store.replaceLinks('PROD-1', [link('D-1')], 7, 'stale'), /jira-per-issue-on-write: too many writes to one issue/);
    fake.rateLimitNext(1, null);
    await assert.rejects(store.get('PROD-1'), (error: unknown) => {
      assert.ok(error instanceof RateLimitedError);
      assert.match(error.message, /no reason given/);
      return true;
    });
  });

  test('an expired token is an AuthenticationError, not retried; a renewed one works again', async () => {
    const store = storeFor(fake);
    fake.expireToken();
    await assert.rejects(store.findByDemand('D-1'), AuthenticationError);
    fake.renewToken();
    assert.ok(await store.findByDemand('D-1'));
  });

  test('an answer of a shape Jira never documented is an InvalidResponseError, never acted on', async () => {
    const store = storeFor(fake);
    await store.get('PROD-1');
    fake.malformNext(1, '/rest/api/3/search/jql', { issues: [{ key: 'PROD-1' }] });
    await assert.rejects(store.findByDemand('D-1'), InvalidResponseError);
    fake.malformNext(1, '/rest/api/3/search/jql', { issues: 'none', isLast: true });
    await assert.rejects(store.listChanges(null, 10), InvalidResponseError);
  });

  test('an issue deleted while linked is absent; a write to it fails that demand with the reason; placing the demand again creates one issue, never two', async () => {
    const store = storeFor(fake);
    const created = await store.create(newRequirement('D-20', 'P-20'));
    fake.deleteIssue(created.id);
    assert.equal(await store.get(created.id), undefined);
    await assert.rejects(store.replaceLinks(created.id, [link('D-20')], 1, created.updatedAt), (error: unknown) => {
      assert.ok(error instanceof RequestRejectedError);
      assert.match(error.message, /deleted or moved out of project PROD .* next run places the demand again/);
      return true;
    });
    const again = await store.create(newRequirement('D-20', 'P-20'));
    const retried = await store.create(newRequirement('D-20', 'P-20'));
    assert.equal(retried.id, again.id);
    assert.notEqual(again.id, created.id);
  });

  test('an issue moved to another project is no requirement of this store any more: not found by id, demand or product', async () => {
    const store = storeFor(fake);
    const created = await store.create(newRequirement('D-30', 'P-30'));
    const moved = fake.moveIssue(created.id, 'OTHER');
    assert.notEqual(moved, created.id);
    assert.equal(await store.get(created.id), undefined);
    assert.equal(await store.findByDemand('D-30'), undefined);
    assert.deepEqual(await store.listForProduct('P-30'), []);
    const replacement = await store.create(newRequirement('D-30', 'P-30'));
    assert.match(replacement.id, /^PROD-/);
    assert.equal((await store.create(newRequirement('D-30', 'P-30'))).id, replacement.id);
  });

  test("Jira's 400 body {errorMessages, errors} becomes the demand's reason, naming the field", async () => {
    const local = await startJiraFake({ authorization, projects: { PROD: [{ id: '10001', name: 'Story' }] } });
    try {
      const store = storeFor(local);
      await assert.rejects(store.create({ ...newRequirement('D-40'), title: '' }), (error: unknown) => {
        assert.ok(error instanceof RequestRejectedError);
        assert.match(error.message, /Jira refused the request with 400: summary: You must specify a summary/);
        return true;
      });
    } finally {
      await local.close();
    }
  });

  for (const [name, options, overrides, expected] of [
    ['the score field', { fields: [{ id: 'summary', name: 'Summary' }] }, {}, /no field customfield_10050 \(scoreField\)/],
    [
      'a score field that is not a number',
      { fields: [{ id: 'customfield_10050', name: 'Score', schema: { type: 'string' } }] },
      {},
      /customfield_10050 \('Score'\) is a string field, not a number \(scoreField\)/,
    ],
    ['the project', {}, { project: 'NOPE' }, /no project NOPE .*\(project\)/],
    ['the issue type', {}, { issueType: 'Idea' }, /no issue type 'Idea' \(issueType\); it has Story/],
  ] as Array<[string, Partial<JiraFakeOptions>, Record<string, unknown>, RegExp]>) {
    test(`a site that lacks ${name} the configuration names fails with what is missing, and nothing is written`, async () => {
      const local = await startJiraFake({ authorization, ...options });
      try {
        const store = storeFor(local, overrides);
        await assert.rejects(store.create(newRequirement('D-50')), (error: unknown) => {
          assert.ok(error instanceof RequestRejectedError);
          assert.match(error.message, expected);
          return true;
        });
        assert.equal(local.writes(), 0);
      } finally {
        await local.close();
      }
    });
  }
});

describe('Jira system configuration', () => {
  test('names the missing field: project, scoreField, demandUrl', () => {
    const result = jiraSystemSchema.safeParse({ kind: 'jira', url: 'https://x.atlassian.net' });
    assert.ok(!result.success);
    const paths = result.error.issues.map((issue) => issue.path.join('.'));
    assert.deepEqual(paths.sort(), ['demandUrl', 'project', 'scoreField']);
  });
});

import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * A fake of the Jira Cloud platform REST API v3, the parts a requirement store uses. Sources:
 * - search: POST /rest/api/3/search/jql `{ jql, maxResults, fields, properties, nextPageToken }` answering
 *   `{ issues, nextPageToken, isLast }`; no nextPageToken on the last page (JRACLOUD-92184):
 *   https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-post
 * - JQL: `project = "K" AND issuetype = "T" AND labels = "l" AND updated >= 1733050000000 ORDER BY ...`;
 *   an unquoted number is epoch milliseconds, and date comparisons are to the minute
 *   (https://confluence.atlassian.com/spaces/JIRA052/pages/314448708/__JQL+Date+Time+Formats)
 * - issues: POST /rest/api/3/issue `{ fields, properties }` -> 201 `{ id, key, self }`; GET and PUT
 *   /rest/api/3/issue/{key} (404 for a deleted issue; a moved issue answers under its new key in its
 *   new project): https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/
 * - issue properties: PUT /rest/api/3/issue/{key}/properties/{propertyKey}:
 *   https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-properties/
 * - remote links: POST /rest/api/3/issue/{key}/remotelink with a globalId updates the link of that
 *   globalId, else creates one; GET lists them; DELETE ?globalId= removes one:
 *   https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-remote-links/
 * - fields and projects: GET /rest/api/3/field, GET /rest/api/3/project/{key} (404 when absent):
 *   https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-fields/
 * - errors: `{ errorMessages: [], errors: {} }` bodies (400, 404):
 *   https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/#status-codes
 * - rate limits: 429 with Retry-After (seconds), X-RateLimit-Reset, X-RateLimit-Limit and
 *   RateLimit-Reason (jira-burst-based, jira-per-issue-on-write); a 429 may come without Retry-After
 *   (JRACLOUD-82801): https://developer.atlassian.com/cloud/jira/platform/rate-limiting/
 * - auth: Basic e-mail:API token, or an OAuth 2.0 Bearer token; 401 when it is wrong or expired:
 *   https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/
 */

export interface FakeRemoteLink {
  id: number;
  globalId?: string;
  relationship?: string;
  object: { url: string; title: string; summary?: string };
}

export interface FakeIssue {
  id: string;
  key: string;
  project: string;
  issueTypeId: string;
  summary: string;
  description: unknown;
  labels: string[];
  status: { name: string; category: 'new' | 'indeterminate' | 'done' };
  custom: Record<string, unknown>;
  properties: Record<string, unknown>;
  remoteLinks: FakeRemoteLink[];
  updated: number;
}

export interface JiraFake {
  url: string;
  issues: Map<string, FakeIssue>;
  /** Every request as "METHOD path". */
  requests: string[];
  /** Requests that changed something (POST/PUT/DELETE other than search). */
  writes(): number;
  /** The next n requests answer 429 with this RateLimit-Reason (null: a bare 429 without Retry-After). */
  rateLimitNext(n: number, reason: 'jira-burst-based' | 'jira-per-issue-on-write' | null): void;
  /** The next n answers to this path prefix are replaced by this body (a shape the API never documented). */
  malformNext(n: number, pathPrefix: string, body: unknown): void;
  /** The token in use expires: every request answers 401 until `renewToken`. */
  expireToken(): void;
  renewToken(): void;
  /** A product manager moves an issue to a workflow status. */
  setStatus(key: string, name: string, category: FakeIssue['status']['category']): void;
  /** A product manager removes a label (e.g. confirms suggestions). */
  removeLabel(key: string, label: string): void;
  /** A product manager deletes a remote link (rejects a suggestion). */
  deleteRemoteLink(key: string, globalId: string): void;
  deleteIssue(key: string): void;
  /** Moves an issue to another project: it gets a new key there, and the old key still finds it. */
  moveIssue(key: string, project: string): string;
  close(): Promise<void>;
}

export interface JiraFakeOptions {
  /** The Authorization header value the fake accepts. */
  authorization: string;
  projects?: Record<string, Array<{ id: string; name: string }>>;
  fields?: Array<{ id: string; name: string; schema?: { type: string } }>;
  /** Largest page a search hands out. */
  maxPage?: number;
}

const minuteMs = 60_000;

export async function startJiraFake(options: JiraFakeOptions): Promise<JiraFake> {
  const app = Fastify({ logger: false });
  const issues = new Map<string, FakeIssue>();
  /** Old key -> new key for moved issues. */
  const movedKeys = new Map<string, string>();
  const projects = options.projects ?? { PROD: [{ id: '10001', name: 'Story' }] };
  const fields = options.fields ?? [
    { id: 'summary', name: 'Summary', schema: { type: 'string' } },
    { id: 'customfield_10050', name: 'Demand score', schema: { type: 'number' } },
  ];
  const maxPage = options.maxPage ?? 100;
  const requests: string[] = [];
  const counters = new Map<string, number>();
  let writeCount = 0;
  let rateLimited: { n: number; reason: string | null } = { n: 0, reason: null };
  let malformed: { n: number; prefix: string; body: unknown } = { n: 0, prefix: '', body: null };
  let expired = false;
  let lastUpdate = 0;
  /** Distinct, increasing timestamps: each change is at least a millisecond after the previous one. */
  const now = () => (lastUpdate = Math.max(Date.now(), lastUpdate + 1));
  const nextNumber = (project: string) => {
    const n = (counters.get(project) ?? 0) + 1;
    counters.set(project, n);
    return n;
  };
  let nextIssueId = 10_000;
  let nextLinkId = 100;

  const error = (reply: FastifyReply, status: number, errorMessages: string[], errors: Record<string, string> = {}) =>
    reply.code(status).send({ errorMessages, errors });
  const resolve = (key: string): FakeIssue | undefined =>
    issues.get(movedKeys.get(key) ?? key) ?? [...issues.values()].find((i) => i.id === key);
  const touch = (issue: FakeIssue) => (issue.updated = now());

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    requests.push(`${request.method} ${path}`);
    if (expired || request.headers.authorization !== options.authorization)
      return reply
        .code(401)
        .send({ errorMessages: ['You are not authenticated. Authentication required to perform this operation.'], errors: {} });
    if (rateLimited.n > 0) {
      rateLimited.n -= 1;
      if (rateLimited.reason === null) return reply.code(429).send({ errorMessages: ['Rate limit exceeded.'], errors: {} });
      return reply
        .code(429)
        .header('retry-after', '1')
        .header('x-ratelimit-reset', new Date(Date.now() + 1000).toISOString())
        .header('x-ratelimit-limit', '100')
        .header('ratelimit-reason', rateLimited.reason)
        .send({ errorMessages: ['Rate limit exceeded.'], errors: {} });
    }
    if (request.method !== 'GET' && !path.endsWith('/search/jql')) writeCount += 1;
    if (malformed.n > 0 && path.startsWith(malformed.prefix)) {
      malformed.n -= 1;
      return reply.code(200).send(malformed.body);
    }
  });

  app.get('/rest/api/3/field', async () => fields);

  app.get('/rest/api/3/project/:key', async (request, reply) => {
    const { key } = request.params as { key: string };
    const types = projects[key];
    if (!types) return error(reply, 404, [`No project could be found with key '${key}'.`]);
    return { id: `p-${key}`, key, name: key, issueTypes: types };
  });

  const view = (issue: FakeIssue, wanted: string[], properties: string[]) => {
    const all: Record<string, unknown> = {
      summary: issue.summary,
      description: issue.description,
      labels: issue.labels,
      updated: new Date(issue.updated).toISOString().replace('Z', '+0000'),
      project: { key: issue.project, id: `p-${issue.project}` },
      issuetype: { id: issue.issueTypeId },
      status: { name: issue.status.name, statusCategory: { key: issue.status.category } },
      ...issue.custom,
    };
    return {
      id: issue.id,
      key: issue.key,
      fields: Object.fromEntries(wanted.filter((f) => f in all).map((f) => [f, all[f]])),
      properties: Object.fromEntries(properties.filter((p) => p in issue.properties).map((p) => [p, issue.properties[p]])),
    };
  };

  /** The JQL subset the bridge sends: clauses joined by AND, then ORDER BY. */
  function matcher(jql: string): ((issue: FakeIssue) => boolean) | string {
    const [where] = jql.split(/\s+ORDER BY\s+/i);
    const tests: Array<(issue: FakeIssue) => boolean> = [];
    for (const clause of where!.split(/\s+AND\s+/)) {
      const m = /^(\w+)\s*(=|>=)\s*(?:"((?:[^"\\]|\\.)*)"|(\d+))$/.exec(clause.trim());
      if (!m) return `Error in the JQL Query: unexpected clause '${clause.trim()}'.`;
      const [, field, , text, number] = m;
      const value = text?.replace(/\\(.)/g, '$1');
      if (field === 'project') tests.push((i) => i.project === value);
      else if (field === 'issuetype') {
        const types = Object.values(projects).flat();
        tests.push((i) => types.some((t) => t.id === i.issueTypeId && t.name === value));
      } else if (field === 'labels') tests.push((i) => i.labels.includes(value!));
      else if (field === 'updated') {
        // Minute precision: the instant is cut to its minute before comparing.
        const from = Math.floor(Number(number) / minuteMs) * minuteMs;
        tests.push((i) => i.updated >= from);
      } else return `Field '${field}' is not supported by this fake.`;
    }
    return (issue) => tests.every((t) => t(issue));
  }

  app.post('/rest/api/3/search/jql', async (request, reply) => {
    const body = request.body as { jql?: string; maxResults?: number; fields?: string[]; properties?: string[]; nextPageToken?: string };
    const test = matcher(body.jql ?? '');
    if (typeof test === 'string') return error(reply, 400, [test]);
    const found = [...issues.values()].filter(test).sort((a, b) => a.updated - b.updated || a.key.localeCompare(b.key));
    const start = body.nextPageToken ? Number(Buffer.from(body.nextPageToken, 'base64url').toString()) : 0;
    const size = Math.min(body.maxResults ?? 50, maxPage);
    const page = found.slice(start, start + size);
    const isLast = start + size >= found.length;
    return {
      issues: page.map((i) => view(i, body.fields ?? [], body.properties ?? [])),
      isLast,
      ...(isLast ? {} : { nextPageToken: Buffer.from(String(start + size)).toString('base64url') }),
    };
  });

  app.post('/rest/api/3/issue', async (request, reply) => {
    const { fields: input, properties } = request.body as {
      fields: Record<string, unknown> & { project?: { key?: string }; issuetype?: { id?: string }; summary?: string; labels?: string[] };
      properties?: Array<{ key: string; value: unknown }>;
    };
    const project = input.project?.key ?? '';
    if (!projects[project]) return error(reply, 400, [], { project: 'valid project is required' });
    if (!projects[project].some((t) => t.id === input.issuetype?.id))
      return error(reply, 400, [], { issuetype: 'valid issue type is required' });
    if (!input.summary) return error(reply, 400, [], { summary: 'You must specify a summary of the issue.' });
    const custom: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(input)) {
      if (!field.startsWith('customfield_')) continue;
      const known = fields.find((f) => f.id === field);
      if (!known)
        return error(reply, 400, [], { [field]: `Field '${field}' cannot be set. It is not on the appropriate screen, or unknown.` });
      custom[field] = value;
    }
    const key = `${project}-${nextNumber(project)}`;
    const issue: FakeIssue = {
      id: String(nextIssueId++),
      key,
      project,
      issueTypeId: input.issuetype!.id!,
      summary: input.summary,
      description: input.description ?? null,
      labels: input.labels ?? [],
      status: { name: 'To Do', category: 'new' },
      custom,
      properties: Object.fromEntries((properties ?? []).map((p) => [p.key, p.value])),
      remoteLinks: [],
      updated: now(),
    };
    issues.set(key, issue);
    return reply.code(201).send({ id: issue.id, key, self: `${request.protocol}://${request.hostname}/rest/api/3/issue/${issue.id}` });
  });

  app.get('/rest/api/3/issue/:key', async (request, reply) => {
    const { key } = request.params as { key: string };
    const query = request.query as { fields?: string; properties?: string };
    const issue = resolve(key);
    if (!issue) return error(reply, 404, ['Issue does not exist or you do not have permission to see it.']);
    return view(issue, (query.fields ?? '').split(','), (query.properties ?? '').split(','));
  });

  app.put('/rest/api/3/issue/:key', async (request, reply) => {
    const issue = resolve((request.params as { key: string }).key);
    if (!issue) return error(reply, 404, ['Issue does not exist or you do not have permission to see it.']);
    const { fields: input } = request.body as { fields: Record<string, unknown> };
    for (const [field, value] of Object.entries(input)) {
      if (field === 'labels') issue.labels = value as string[];
      else if (field === 'summary') issue.summary = value as string;
      else if (field.startsWith('customfield_')) {
        if (!fields.some((f) => f.id === field))
          return error(reply, 400, [], { [field]: `Field '${field}' cannot be set. It is not on the appropriate screen, or unknown.` });
        issue.custom[field] = value;
      }
    }
    touch(issue);
    return reply.code(204).send();
  });

  app.put('/rest/api/3/issue/:key/properties/:property', async (request, reply) => {
    const { key, property } = request.params as { key: string; property: string };
    const issue = resolve(key);
    if (!issue) return error(reply, 404, ['Issue does not exist or you do not have permission to see it.']);
    const existed = property in issue.properties;
    issue.properties[property] = request.body;
    return reply.code(existed ? 200 : 201).send();
  });

  app.get('/rest/api/3/issue/:key/remotelink', async (request, reply) => {
    const issue = resolve((request.params as { key: string }).key);
    if (!issue) return error(reply, 404, ['Issue does not exist or you do not have permission to see it.']);
    return issue.remoteLinks;
  });

  app.post('/rest/api/3/issue/:key/remotelink', async (request, reply) => {
    const issue = resolve((request.params as { key: string }).key);
    if (!issue) return error(reply, 404, ['Issue does not exist or you do not have permission to see it.']);
    const body = request.body as Omit<FakeRemoteLink, 'id'>;
    if (!body.object?.url || !body.object.title) return error(reply, 400, [], { object: 'url and title are required' });
    const existing = body.globalId ? issue.remoteLinks.find((l) => l.globalId === body.globalId) : undefined;
    if (existing) {
      Object.assign(existing, { relationship: body.relationship, object: body.object });
      return reply.code(200).send({ id: existing.id, self: `remotelink/${existing.id}` });
    }
    const link = { ...body, id: nextLinkId++ };
    issue.remoteLinks.push(link);
    return reply.code(201).send({ id: link.id, self: `remotelink/${link.id}` });
  });

  app.delete('/rest/api/3/issue/:key/remotelink', async (request, reply) => {
    const issue = resolve((request.params as { key: string }).key);
    if (!issue) return error(reply, 404, ['Issue does not exist or you do not have permission to see it.']);
    const { globalId } = request.query as { globalId?: string };
    const before = issue.remoteLinks.length;
    issue.remoteLinks = issue.remoteLinks.filter((l) => l.globalId !== globalId);
    if (issue.remoteLinks.length === before) return error(reply, 404, ['No remote link with this global id.']);
    return reply.code(204).send();
  });

  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    issues,
    requests,
    writes: () => writeCount,
    rateLimitNext: (n, reason) => (rateLimited = { n, reason }),
    malformNext: (n, prefix, body) => (malformed = { n, prefix, body }),
    expireToken: () => (expired = true),
    renewToken: () => (expired = false),
    setStatus(key, name, category) {
      const issue = resolve(key)!;
      issue.status = { name, category };
      touch(issue);
    },
    removeLabel(key, label) {
      const issue = resolve(key)!;
      issue.labels = issue.labels.filter((l) => l !== label);
      touch(issue);
    },
    deleteRemoteLink(key, globalId) {
      const issue = resolve(key)!;
      issue.remoteLinks = issue.remoteLinks.filter((l) => l.globalId !== globalId);
    },
    deleteIssue: (key) => void issues.delete(key),
    moveIssue(key, project) {
      const issue = issues.get(key)!;
      issues.delete(key);
      const newKey = `${project}-${nextNumber(project)}`;
      Object.assign(issue, { key: newKey, project });
      touch(issue);
      issues.set(newKey, issue);
      movedKeys.set(key, newKey);
      return newKey;
    },
    close: () => app.close(),
  };
}

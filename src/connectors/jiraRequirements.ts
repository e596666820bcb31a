import { z } from 'zod';
import type { DemandLink, LinkState, Requirement } from '../domain/requirement';
import { byFeedPosition, isAfterCursor, type ChangeCursor } from '../shared/changeCursor';
import { ConflictError, InvalidResponseError, RateLimitedError, RequestRejectedError } from '../shared/systemErrors';
import type { ChangePage } from './changeFeed';
import type { DemandSignalInput, NewRequirement, RequirementStore } from './demandConnectors';
import { HttpStatusError, HttpSystem, parseRetryAfter, type AuthProvider, type SharedPacing } from './httpClient';
import type { JiraSystemConfig } from './jiraConfig';
import { demandLinkSchema } from './demandLinkSchema';

/**
 * Jira Cloud (REST v3) as a requirement store. A requirement is an issue of the configured project
 * and type; the bridge keeps its own record of the linked demands in an issue property (read with
 * every search) and shows each demand to the product team as a remote link whose globalId is the CRM
 * demand, so a re-send updates the link. Labels make the bridge's issues searchable by JQL: one per
 * product, one per linked demand, one holding the create's idempotency key.
 * Docs: https://developer.atlassian.com/cloud/jira/platform/rest/v3/
 */

/** Issue property with the bridge's demand links (https://developer.atlassian.com/cloud/jira/platform/jira-entity-properties/). */
const demandsProperty = 'crm-pms-bridge-demands';
/** Most pages one change read follows before it gives the workflow what it has. */
const maxPagesPerRead = 50;
const minuteMs = 60_000;

const propertySchema = z.object({ productId: z.string().default(''), demands: z.array(demandLinkSchema).default([]) });

const issueSchema = z.object({
  id: z.string(),
  key: z.string(),
  fields: z
    .object({
      summary: z.string(),
      description: z.unknown().optional(),
      labels: z.array(z.string()).default([]),
      updated: z.string().refine((value) => Number.isFinite(Date.parse(value)), 'a date-time'),
      project: z.object({ key: z.string() }).loose(),
      status: z.object({ name: z.string(), statusCategory: z.object({ key: z.string() }).loose() }).loose(),
    })
    .loose(),
  properties: z.record(z.string(), z.unknown()).optional(),
});
type JiraIssue = z.infer<typeof issueSchema>;

/** POST /rest/api/3/search/jql: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-post */
const searchSchema = z.object({
  issues: z.array(issueSchema),
  nextPageToken: z.string().nullish(),
  isLast: z.boolean().optional(),
});

export interface JiraRequirementsOptions {
  config: JiraSystemConfig;
  auth: AuthProvider;
  pacing?: SharedPacing;
}

/** A JQL string literal. */
const quoted = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
/** A label from any id: Jira labels hold no spaces; other characters outside [A-Za-z0-9_.-] become '_'. */
const labelPart = (value: string): string => value.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 200);

/** Plain text of an Atlassian Document Format value (v3 descriptions), paragraphs on their own lines. */
function adfText(node: unknown): string {
  if (typeof node === 'string') return node;
  if (!node || typeof node !== 'object') return '';
  const { type, text, content } = node as { type?: unknown; text?: unknown; content?: unknown };
  if (typeof text === 'string') return text;
  const parts = Array.isArray(content) ? content.map(adfText) : [];
  return type === 'doc' ? parts.join('\n') : parts.join('');
}

/** https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/ */
const adfDocument = (text: string) => ({
  type: 'doc',
  version: 1,
  content: text.split('\n').map((line) => ({ type: 'paragraph', content: line ? [{ type: 'text', text: line }] : [] })),
});

/** Jira's refusal bodies: `{ errorMessages: [...], errors: { field: message } }`. */
function jiraRefusal(body: unknown): string {
  const parsed = z
    .object({ errorMessages: z.array(z.string()).default([]), errors: z.record(z.string(), z.string()).default({}) })
    .safeParse(body);
  if (!parsed.success) return '';
  const fieldErrors = Object.entries(parsed.data.errors).map(([field, message]) => `${field}: ${message}`);
  return [...parsed.data.errorMessages, ...fieldErrors].join('; ').slice(0, 500);
}

/** What each RateLimit-Reason means (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/). */
const rateLimitReasons: Record<string, string> = {
  'jira-burst-based': 'too many requests per second to one endpoint',
  'jira-per-issue-on-write': 'too many writes to one issue',
};

export class JiraRequirements implements RequirementStore {
  readonly system = 'Jira';
  private readonly http: HttpSystem;
  private readonly config: JiraSystemConfig;
  private issueTypeId: Promise<string> | undefined;

  constructor(options: JiraRequirementsOptions) {
    this.config = options.config;
    this.http = new HttpSystem({
      system: this.system,
      baseUrl: options.config.url,
      auth: options.auth,
      timeoutMs: options.config.timeoutMs,
      ...options.pacing,
      classifyError: (status, body, headers) => this.classify(status, body, headers),
    });
  }

  /** Jira has no product catalogue: no SKU is known there, so a SKU the CRM does not know is rejected, not pending. */
  productIdsBySku(): Promise<Map<string, string>> {
    return Promise.resolve(new Map<string, string>());
  }

  async findByDemand(demandId: string): Promise<Requirement | undefined> {
    const [issue] = await this.search(`${this.inProject()} AND labels = ${quoted(this.demandLabel(demandId))}`, 1);
    return issue ? this.toRequirement(issue) : undefined;
  }

  /** The issue, unless it was deleted or moved out of the project: then it is no requirement of this store any more. */
  async get(id: string): Promise<Requirement | undefined> {
    await this.ready();
    const issue = await this.readIssue(id);
    return issue ? this.toRequirement(issue) : undefined;
  }

  async listForProduct(productId: string): Promise<Requirement[]> {
    const issues = await this.search(`${this.ofType()} AND labels = ${quoted(this.productLabel(productId))} ORDER BY key ASC`);
    return Promise.all(issues.map((issue) => this.toRequirement(issue)));
  }

  /**
   * Finds the issue by its idempotency-key label before creating one, so a retried create returns
   * the first; then puts every demand's remote link on it (upserts by globalId, so again safe to retry).
   */
  async create(requirement: NewRequirement): Promise<Requirement> {
    const issueTypeId = await this.ready();
    const keyLabel = `${this.config.labelPrefix}key-${labelPart(requirement.idempotencyKey)}`;
    const [existing] = await this.search(`${this.inProject()} AND labels = ${quoted(keyLabel)}`, 1);
    let key = existing?.key;
    let demands = existing ? this.storedLinks(existing).demands : requirement.demands;
    if (!key) {
      const created = await this.write(() =>
        this.http.request({
          method: 'POST',
          path: '/rest/api/3/issue',
          body: {
            fields: {
              project: { key: this.config.project },
              issuetype: { id: issueTypeId },
              summary: requirement.title.slice(0, 255),
              description: adfDocument(requirement.description),
              labels: [keyLabel, this.productLabel(requirement.productId), ...this.linkLabels(requirement.demands)],
              [this.config.scoreField]: requirement.demandScore,
            },
            properties: [
              {
                key: demandsProperty,
                value: { productId: requirement.productId, demands: requirement.demands, refersTo: requirement.refersTo },
              },
            ],
          },
          schema: z.object({ id: z.string(), key: z.string() }).loose(),
        }),
      );
      key = created.key;
      demands = requirement.demands;
    }
    for (const link of demands) if (link.linkState !== 'rejected') await this.putRemoteLink(key, link);
    return this.mustGet(key);
  }

  /**
   * Conditional on the issue's `updated` (Jira has no conditional write: read, compare, write). A
   * product manager's decision on a link (confirmed, rejected) stays whatever the caller sends.
   */
  async replaceLinks(id: string, demands: DemandLink[], demandScore: number, expectedUpdatedAt: string): Promise<Requirement> {
    await this.ready();
    const issue = await this.readIssue(id);
    if (!issue) throw this.goneError(id);
    const current = await this.toRequirement(issue);
    if (current.updatedAt !== expectedUpdatedAt)
      throw new ConflictError(this.system, `Jira issue ${id} changed since it was read; it is read again and the demand placed again.`);
    const decided = new Map(
      current.demands.filter((link) => link.linkState === 'confirmed' || link.linkState === 'rejected').map((l) => [l.demandId, l]),
    );
    const next = demands.map((link) => {
      const decision = decided.get(link.demandId);
      return decision ? { ...link, linkState: decision.linkState } : link;
    });
    // A rejection is remembered even when the caller no longer lists the demand, so it is never suggested again.
    for (const decision of decided.values())
      if (decision.linkState === 'rejected' && !next.some((l) => l.demandId === decision.demandId)) next.push(decision);
    const ownLabel = (label: string) => label.startsWith(`${this.config.labelPrefix}demand-`) || label === this.config.suggestedLabel;
    const labels = [...issue.fields.labels.filter((label) => !ownLabel(label)), ...this.linkLabels(next)];
    await this.write(() =>
      this.http.request({
        method: 'PUT',
        path: `/rest/api/3/issue/${encodeURIComponent(issue.key)}`,
        body: { fields: { labels, [this.config.scoreField]: demandScore } },
        schema: z.unknown(),
      }),
    );
    await this.write(() =>
      this.http.request({
        method: 'PUT',
        path: `/rest/api/3/issue/${encodeURIComponent(issue.key)}/properties/${demandsProperty}`,
        body: { ...this.storedLinks(issue), demands: next },
        schema: z.unknown(),
      }),
    );
    for (const link of next) if (link.linkState !== 'rejected') await this.putRemoteLink(issue.key, link);
    const kept = new Set(next.map((link) => link.demandId));
    for (const gone of current.demands.filter((link) => !kept.has(link.demandId))) await this.deleteRemoteLink(issue.key, gone.demandId);
    return this.mustGet(issue.key);
  }

  /** Jira keeps no order quantities; the demand score (account values) is what it gets of the revenue. */
  replaceOrderSignals(inputs: DemandSignalInput[]): Promise<void> {
    void inputs;
    return Promise.resolve();
  }

  /**
   * Issues changed since the cursor. JQL compares `updated` to the minute, so the query starts a
   * minute before the cursor and the overlap is dropped here by (updated, key), never handed out twice.
   */
  async listChanges(cursor: ChangeCursor | null, limit: number): Promise<ChangePage<Requirement>> {
    const since = cursor ? Math.floor((Date.parse(cursor.since) - minuteMs) / minuteMs) * minuteMs : undefined;
    // An unquoted number in JQL is epoch milliseconds, free of the account's time zone.
    const jql = `${this.ofType()}${since === undefined ? '' : ` AND updated >= ${since}`} ORDER BY updated ASC, key ASC`;
    const collected: Requirement[] = [];
    let token: string | undefined;
    let pages = 0;
    let more = true;
    while (more) {
      if (pages >= maxPagesPerRead) break;
      const page = await this.searchPage(jql, this.config.pageSize, token);
      pages += 1;
      for (const issue of page.issues) {
        const requirement = await this.toRequirement(issue);
        if (isAfterCursor(requirement, cursor)) collected.push(requirement);
      }
      token = page.nextPageToken ?? undefined;
      more = page.isLast === false || (page.isLast === undefined && token !== undefined);
      if (more && !token)
        throw new InvalidResponseError(this.system, 'Jira said more issues follow (isLast false) but gave no nextPageToken.');
      if (collected.length > limit) break;
    }
    const records = [...new Map(collected.map((r) => [r.id, r])).values()].sort(byFeedPosition);
    const page = records.slice(0, limit);
    const last = page.at(-1);
    return {
      records: page,
      nextCursor: last ? { since: last.updatedAt, afterId: last.id } : null,
      hasMore: records.length > limit || more,
    };
  }

  /**
   * Checks once per worker (again after a failure) that the project, issue type and score field
   * exist, naming what is missing: a wrong configuration fails every demand with that reason.
   */
  private ready(): Promise<string> {
    this.issueTypeId ??= this.checkConfiguration().catch((error: unknown) => {
      this.issueTypeId = undefined;
      throw error;
    });
    return this.issueTypeId;
  }

  /** For `bridge check`: the project, issue type and score field exist; throws naming what is missing. */
  async verifyConfiguration(): Promise<string> {
    await this.checkConfiguration();
    const { project, issueType, scoreField } = this.config;
    return `project ${project}, its issue type '${issueType}' and the number field ${scoreField} exist`;
  }

  private async checkConfiguration(): Promise<string> {
    const { project, issueType, scoreField } = this.config;
    const problem = (what: string) => new RequestRejectedError(this.system, 400, `${what}; fix systems.<name> of kind jira, then retry.`);
    let projectInfo: { issueTypes: Array<{ id: string; name: string }> };
    try {
      // GET /rest/api/3/project/{projectIdOrKey}: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-projects/#api-rest-api-3-project-projectidorkey-get
      projectInfo = await this.http.request({
        method: 'GET',
        path: `/rest/api/3/project/${encodeURIComponent(project)}`,
        schema: z.object({ issueTypes: z.array(z.object({ id: z.string(), name: z.string() }).loose()).default([]) }).loose(),
      });
    } catch (error) {
      if (error instanceof HttpStatusError && error.status === 404)
        throw problem(`Jira has no project ${project} that the bridge's user can see (project)`);
      throw error;
    }
    const type = projectInfo.issueTypes.find((candidate) => candidate.name.toLowerCase() === issueType.toLowerCase());
    if (!type)
      throw problem(
        `Jira project ${project} has no issue type '${issueType}' (issueType); it has ${projectInfo.issueTypes.map((t) => t.name).join(', ') || 'none'}`,
      );
    // GET /rest/api/3/field: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-fields/#api-rest-api-3-field-get
    const fields = await this.http.call({
      method: 'GET',
      path: '/rest/api/3/field',
      schema: z.array(z.object({ id: z.string(), name: z.string(), schema: z.object({ type: z.string() }).loose().optional() }).loose()),
    });
    const score = fields.find((field) => field.id === scoreField);
    if (!score) throw problem(`Jira has no field ${scoreField} (scoreField); create a number field and name its id`);
    if (score.schema?.type !== 'number')
      throw problem(`Jira field ${scoreField} ('${score.name}') is a ${score.schema?.type ?? 'untyped'} field, not a number (scoreField)`);
    return type.id;
  }

  private inProject(): string {
    return `project = ${quoted(this.config.project)}`;
  }

  private ofType(): string {
    return `${this.inProject()} AND issuetype = ${quoted(this.config.issueType)}`;
  }

  private productLabel(productId: string): string {
    return `${this.config.labelPrefix}product-${labelPart(productId)}`;
  }

  private demandLabel(demandId: string): string {
    return `${this.config.labelPrefix}demand-${labelPart(demandId)}`;
  }

  /** One label per linked demand (not the rejected ones), and the suggestion label while any link awaits a decision. */
  private linkLabels(demands: DemandLink[]): string[] {
    const labels = demands.filter((link) => link.linkState !== 'rejected').map((link) => this.demandLabel(link.demandId));
    if (demands.some((link) => link.linkState === 'suggested')) labels.push(this.config.suggestedLabel);
    return labels;
  }

  private globalId(demandId: string): string {
    return `${this.config.sourceSystem}:demand:${demandId}`.slice(0, 255);
  }

  private fields(): string[] {
    return ['summary', 'description', 'labels', 'updated', 'project', 'status', this.config.scoreField];
  }

  private async search(jql: string, max = Infinity): Promise<JiraIssue[]> {
    await this.ready();
    const issues: JiraIssue[] = [];
    let token: string | undefined;
    for (;;) {
      const page = await this.searchPage(jql, Math.min(this.config.pageSize, max - issues.length), token);
      issues.push(...page.issues);
      token = page.nextPageToken ?? undefined;
      if (page.isLast !== false || !token || issues.length >= max) return issues;
    }
  }

  private async searchPage(jql: string, maxResults: number, nextPageToken: string | undefined) {
    return this.http.call({
      method: 'POST',
      path: '/rest/api/3/search/jql',
      body: { jql, maxResults, fields: this.fields(), properties: [demandsProperty], ...(nextPageToken ? { nextPageToken } : {}) },
      schema: searchSchema,
    });
  }

  /** GET /rest/api/3/issue/{key}: 404 when deleted (or not visible); an issue moved to another project answers under its new key. */
  private async readIssue(id: string): Promise<JiraIssue | undefined> {
    try {
      const issue = await this.http.request({
        method: 'GET',
        path: `/rest/api/3/issue/${encodeURIComponent(id)}`,
        query: { fields: this.fields().join(','), properties: demandsProperty },
        schema: issueSchema,
      });
      return issue.fields.project.key === this.config.project ? issue : undefined;
    } catch (error) {
      if (error instanceof HttpStatusError && error.status === 404) return undefined;
      if (error instanceof HttpStatusError) throw new RequestRejectedError(this.system, error.status, error.message);
      throw error;
    }
  }

  private async mustGet(key: string): Promise<Requirement> {
    const issue = await this.readIssue(key);
    if (!issue) throw this.goneError(key);
    return this.toRequirement(issue);
  }

  private goneError(id: string): RequestRejectedError {
    return new RequestRejectedError(
      this.system,
      404,
      `Jira issue ${id} was deleted or moved out of project ${this.config.project} while demands were linked to it; the next run places the demand again.`,
    );
  }

  private storedLinks(issue: JiraIssue): z.infer<typeof propertySchema> & { refersTo?: string } {
    const raw = issue.properties?.[demandsProperty];
    if (raw === undefined) return { productId: this.productOf(issue), demands: [] };
    const parsed = propertySchema.extend({ refersTo: z.string().optional() }).safeParse(raw);
    if (!parsed.success)
      throw new InvalidResponseError(
        this.system,
        `Jira issue ${issue.key} has a ${demandsProperty} property the bridge cannot read; someone changed it by hand. Delete the property to let the bridge rebuild it.`,
      );
    return parsed.data;
  }

  private productOf(issue: JiraIssue): string {
    const prefix = `${this.config.labelPrefix}product-`;
    return issue.fields.labels.find((label) => label.startsWith(prefix))?.slice(prefix.length) ?? '';
  }

  /**
   * The issue as a requirement. A suggested link's state comes from what the product manager did
   * in Jira: the remote link deleted is 'rejected'; the suggestion label removed (link kept) is
   * 'confirmed'; else it is still 'suggested'. The remote links are read only for such issues.
   */
  private async toRequirement(issue: JiraIssue): Promise<Requirement> {
    const stored = this.storedLinks(issue);
    let demands: DemandLink[] = stored.demands;
    if (demands.some((link) => link.linkState === 'suggested')) {
      const present = await this.remoteLinkIds(issue.key);
      const labelled = issue.fields.labels.includes(this.config.suggestedLabel);
      const decide = (link: DemandLink): LinkState =>
        !present.has(this.globalId(link.demandId)) ? 'rejected' : labelled ? 'suggested' : 'confirmed';
      demands = demands.map((link) => (link.linkState === 'suggested' ? { ...link, linkState: decide(link) } : link));
    }
    const score = issue.fields[this.config.scoreField];
    return {
      id: issue.key,
      title: issue.fields.summary,
      description: adfText(issue.fields.description),
      productId: stored.productId || this.productOf(issue),
      status: issue.fields.status.name,
      terminal: issue.fields.status.statusCategory.key === 'done',
      demands,
      demandScore: typeof score === 'number' ? score : 0,
      updatedAt: new Date(Date.parse(issue.fields.updated)).toISOString(),
      ...(stored.refersTo ? { refersTo: stored.refersTo } : {}),
    };
  }

  /** GET /rest/api/3/issue/{key}/remotelink: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-remote-links/ */
  private async remoteLinkIds(key: string): Promise<Set<string>> {
    const links = await this.http.call({
      method: 'GET',
      path: `/rest/api/3/issue/${encodeURIComponent(key)}/remotelink`,
      schema: z.array(z.object({ globalId: z.string().optional() }).loose()),
    });
    return new Set(links.flatMap((link) => (link.globalId ? [link.globalId] : [])));
  }

  /** POST .../remotelink with a globalId updates the link of that id instead of adding one. */
  private async putRemoteLink(key: string, link: DemandLink): Promise<void> {
    await this.write(() =>
      this.http.request({
        method: 'POST',
        path: `/rest/api/3/issue/${encodeURIComponent(key)}/remotelink`,
        body: {
          globalId: this.globalId(link.demandId),
          application: { type: 'com.crm-pms-bridge', name: this.config.sourceSystem },
          relationship: link.linkState === 'suggested' ? 'suggested customer demand' : 'customer demand',
          object: {
            url: this.config.demandUrl.replace('{demandId}', encodeURIComponent(link.demandId)),
            title: link.title || link.demandId,
            summary: `${link.accountName} (${link.segment}) · account value ${link.accountValue} · priority ${link.priority}`,
          },
        },
        schema: z.unknown(),
      }),
    );
  }

  private async deleteRemoteLink(key: string, demandId: string): Promise<void> {
    try {
      await this.http.request({
        method: 'DELETE',
        path: `/rest/api/3/issue/${encodeURIComponent(key)}/remotelink`,
        query: { globalId: this.globalId(demandId) },
        schema: z.unknown(),
      });
    } catch (error) {
      if (error instanceof HttpStatusError && error.status === 404) return;
      throw error;
    }
  }

  /** A write Jira refuses fails the demand it was for, with Jira's reason (404: the issue is gone). */
  private async write<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof HttpStatusError) throw new RequestRejectedError(this.system, error.status, error.message);
      throw error;
    }
  }

  /** Jira's own reading of a refusal: the kind of 429 (RateLimit-Reason) and the `{errorMessages, errors}` body. */
  private classify(status: number, body: unknown, headers: Headers): Error | undefined {
    if (status === 429) {
      const reset = Date.parse(headers.get('x-ratelimit-reset') ?? '');
      const retryAfterMs = headers.get('retry-after')
        ? parseRetryAfter(headers.get('retry-after'))
        : Number.isFinite(reset)
          ? Math.max(0, reset - Date.now())
          : parseRetryAfter(null);
      const reason = headers.get('ratelimit-reason');
      const meaning = reason ? `${reason}: ${rateLimitReasons[reason] ?? 'a Jira rate limit'}` : 'no reason given';
      return new RateLimitedError(
        this.system,
        retryAfterMs,
        `Jira is rate limiting the bridge (429, ${meaning}); retrying after ${retryAfterMs} ms`,
      );
    }
    if (status === 401 || status === 403 || status >= 500) return undefined;
    const detail = jiraRefusal(body);
    return detail ? new HttpStatusError(status, body, `Jira refused the request with ${status}: ${detail}`) : undefined;
  }
}

import { z } from 'zod';
import type { Requirement } from '../domain/requirement';
import type { DemandLink } from '../domain/requirement';
import type { ChangeCursor } from '../shared/changeCursor';
import { ConflictError, InvalidResponseError, RequestRejectedError } from '../shared/systemErrors';
import type { ChangePage } from './changeFeed';
import type { DemandSignalInput, NewRequirement, RequirementStore } from './demandConnectors';
import { demandLinkSchema } from './demandLinkSchema';
import { HttpStatusError, HttpSystem } from './httpClient';
import { getPath, renderTemplate, renderUrlPath } from './recordPath';
import { RestProductSource, type RestConnection } from './restConnector';
import type { RestRequirementsConfig } from './restConnectorConfig';

const anyJson = z.unknown();

/**
 * The requirements of an in-house PMS over a REST API described in configuration: the change feed
 * is read by the same configurable feed reader as a rest product source (paging, incremental
 * parameter, record paths); single reads and writes use the configured paths and body templates.
 */
export class RestRequirements implements RequirementStore {
  private readonly http: HttpSystem;

  constructor(
    private readonly connection: RestConnection,
    private readonly config: RestRequirementsConfig,
  ) {
    const { system, baseUrl, auth, timeoutMs, pacing } = connection;
    this.http = new HttpSystem({ system, baseUrl, auth, timeoutMs, ...pacing });
  }

  get system(): string {
    return this.http.system;
  }

  /** An in-house requirement store keeps no product catalogue of its own: SKUs resolve through the CRM only. */
  productIdsBySku(): Promise<Map<string, string>> {
    return Promise.resolve(new Map<string, string>());
  }

  async findByDemand(demandId: string): Promise<Requirement | undefined> {
    const [found] = await this.readAll({ [this.config.demandParam]: demandId });
    return found;
  }

  async get(id: string): Promise<Requirement | undefined> {
    try {
      const data = await this.http.request({ method: 'GET', path: renderUrlPath(this.config.get.path, { id }), schema: anyJson });
      return this.toRequirement(getPath(data, this.config.get.recordPath), 'get.recordPath');
    } catch (error) {
      if (error instanceof HttpStatusError && error.status === 404) return undefined;
      if (error instanceof HttpStatusError) throw new RequestRejectedError(this.system, error.status, error.message);
      throw error;
    }
  }

  listForProduct(productId: string): Promise<Requirement[]> {
    return this.readAll({ [this.config.productParam]: productId });
  }

  async create(requirement: NewRequirement): Promise<Requirement> {
    const { create } = this.config;
    const data = await this.http.call({
      method: create.method,
      path: create.path,
      body: renderTemplate(create.body, { requirement, ...requirement }),
      schema: anyJson,
    });
    return this.toRequirement(getPath(data, create.recordPath), 'create.recordPath');
  }

  async replaceLinks(id: string, demands: DemandLink[], demandScore: number, expectedUpdatedAt: string): Promise<Requirement> {
    const { link } = this.config;
    try {
      const data = await this.http.request({
        method: link.method,
        path: renderUrlPath(link.path, { id }),
        body: renderTemplate(link.body, { id, demands, demandScore, expectedUpdatedAt }),
        schema: anyJson,
      });
      return this.toRequirement(getPath(data, link.recordPath), 'link.recordPath');
    } catch (error) {
      if (error instanceof HttpStatusError && error.status === link.conflictStatus) throw new ConflictError(this.system, error.message);
      if (error instanceof HttpStatusError) throw new RequestRejectedError(this.system, error.status, error.message);
      throw error;
    }
  }

  async replaceOrderSignals(inputs: DemandSignalInput[]): Promise<void> {
    const { signals } = this.config;
    if (!signals || inputs.length === 0) return;
    await this.http.call({
      method: signals.method,
      path: signals.path,
      body: renderTemplate(signals.body, { signals: inputs }),
      schema: anyJson,
    });
  }

  async listChanges(cursor: ChangeCursor | null, limit: number): Promise<ChangePage<Requirement>> {
    const page = await this.feed({}).listChanged(cursor, limit);
    return {
      records: page.records.map((record) => this.toRequirement(record, 'changes')),
      nextCursor: page.nextCursor,
      hasMore: page.hasMore,
    };
  }

  /** The feed reader over the configured change feed, with extra query filters (product, demand). */
  private feed(filters: Record<string, string>): RestProductSource {
    const { changes, record } = this.config;
    return new RestProductSource(this.connection, {
      ...changes,
      query: { ...changes.query, ...filters },
      fields: { id: record.id, updatedAt: record.updatedAt, ...changes.fields },
    });
  }

  /** Every requirement the filtered feed holds, from its start. */
  private async readAll(filters: Record<string, string>): Promise<Requirement[]> {
    const feed = this.feed(filters);
    const found: Requirement[] = [];
    let cursor: ChangeCursor | null = null;
    for (;;) {
      const page = await feed.listChanged(cursor, this.config.changes.maxPageSize);
      found.push(...page.records.map((record) => this.toRequirement(record, 'changes')));
      if (!page.hasMore || !page.nextCursor) return found;
      cursor = page.nextCursor;
    }
  }

  private toRequirement(raw: unknown, setting: string): Requirement {
    const { record, terminalStatuses } = this.config;
    const shape = z.object({
      id: z.union([z.string().min(1), z.number()]).transform(String),
      title: z.string(),
      description: z
        .string()
        .nullish()
        .transform((value) => value ?? ''),
      productId: z.union([z.string(), z.number()]).transform(String),
      status: z.string(),
      demands: z
        .array(demandLinkSchema)
        .nullish()
        .transform((value) => value ?? []),
      demandScore: z
        .number()
        .nullish()
        .transform((value) => value ?? 0),
      updatedAt: z.union([z.string().min(1), z.number()]),
    });
    const parsed = shape.safeParse(Object.fromEntries(Object.entries(record).map(([field, at]) => [field, getPath(raw, at)])));
    const updatedMs = parsed.success
      ? typeof parsed.data.updatedAt === 'number'
        ? parsed.data.updatedAt < 1e11
          ? parsed.data.updatedAt * 1000
          : parsed.data.updatedAt
        : Date.parse(parsed.data.updatedAt)
      : NaN;
    if (!parsed.success || !Number.isFinite(updatedMs)) {
      const problem = parsed.success ? 'updatedAt is not a date' : parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
      throw new InvalidResponseError(
        this.system,
        `${this.system} answered a requirement the bridge cannot read (${problem}); check requirements.record and requirements.${setting} in the configuration.`,
      );
    }
    return { ...parsed.data, updatedAt: new Date(updatedMs).toISOString(), terminal: terminalStatuses.includes(parsed.data.status) };
  }
}

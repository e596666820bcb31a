import { z } from 'zod';
import { ConflictError, RequestRejectedError } from '../shared/systemErrors';
import { readChangePage, type ChangePage } from './changeFeed';
import { type ChangeCursor } from '../shared/changeCursor';
import { isTerminalStatus, type DemandLink, type Requirement } from '../domain/requirement';
import { demandLinkSchema } from './demandLinkSchema';
import type { DemandSignalInput, NewRequirement, RequirementStore } from './demandConnectors';
import { HttpSystem, HttpStatusError, type HttpSystemOptions } from './httpClient';

const requirementSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    productId: z.string(),
    status: z.string(),
    demands: z.array(demandLinkSchema),
    demandScore: z.number(),
    updatedAt: z.string(),
    terminal: z.boolean().optional(),
    refersTo: z.string().nullable().optional(),
  })
  .transform(({ terminal, refersTo, ...requirement }): Requirement => ({
    ...requirement,
    // A PMS that does not say it: terminal from the status.
    terminal: terminal ?? isTerminalStatus(requirement.status),
    ...(refersTo ? { refersTo } : {}),
  }));

/** Requirements read to find the one a demand stands on; a demand rejected from more is unheard of. */
const linksPerDemand = 50;

/** Largest page the sandbox PMS serves; a product's requirements are read in pages of it. */
const maxPage = 1000;

/** The sandbox PMS's requirements and demand signals. */
export class SandboxPmsRequirements implements RequirementStore {
  private readonly http: HttpSystem;

  constructor(options: Omit<HttpSystemOptions, 'system'> & { system?: string }) {
    this.http = new HttpSystem({ system: 'PMS', ...options });
  }

  get system(): string {
    return this.http.system;
  }

  async productIdsBySku(skus: string[]): Promise<Map<string, string>> {
    if (skus.length === 0) return new Map();
    const response = await this.http.call({
      method: 'POST',
      path: '/api/products/batch-get-by-sku',
      route: '/api/products/batch-get-by-sku',
      body: { skus },
      schema: z.object({ data: z.array(z.object({ id: z.string(), sku: z.unknown() }).loose()) }),
    });
    return new Map(response.data.map((product) => [String(product.sku), product.id]));
  }

  /** The requirement the demand stands on: one that links it, unless a product manager rejected it there. */
  async findByDemand(demandId: string): Promise<Requirement | undefined> {
    const page = await readChangePage(this.http, '/api/requirements', null, linksPerDemand, requirementSchema, { demandId });
    return page.records.find((r) => r.demands.some((link) => link.demandId === demandId && link.linkState !== 'rejected'));
  }

  async get(id: string): Promise<Requirement | undefined> {
    try {
      return await this.http.request({
        method: 'GET',
        path: `/api/requirements/${encodeURIComponent(id)}`,
        route: '/api/requirements/{id}',
        schema: requirementSchema,
      });
    } catch (error) {
      if (error instanceof HttpStatusError && error.status === 404) return undefined;
      if (error instanceof HttpStatusError) throw new RequestRejectedError(this.system, error.status, error.message);
      throw error;
    }
  }

  async listForProduct(productId: string): Promise<Requirement[]> {
    const requirements: Requirement[] = [];
    let cursor: ChangeCursor | null = null;
    for (;;) {
      const page: ChangePage<Requirement> = await readChangePage(this.http, '/api/requirements', cursor, maxPage, requirementSchema, {
        productId,
      });
      requirements.push(...page.records);
      if (!page.hasMore || !page.nextCursor) return requirements;
      cursor = page.nextCursor;
    }
  }

  create(requirement: NewRequirement): Promise<Requirement> {
    return this.http.call({
      method: 'POST',
      path: '/api/requirements',
      route: '/api/requirements',
      body: requirement,
      schema: requirementSchema,
    });
  }

  async replaceLinks(id: string, demands: DemandLink[], demandScore: number, expectedUpdatedAt: string): Promise<Requirement> {
    try {
      return await this.http.request({
        method: 'PUT',
        path: `/api/requirements/${encodeURIComponent(id)}/demands`,
        route: '/api/requirements/{id}/demands',
        body: { demands, demandScore, expectedUpdatedAt },
        schema: requirementSchema,
      });
    } catch (error) {
      if (error instanceof HttpStatusError && error.status === 409) throw new ConflictError(this.system, error.message);
      if (error instanceof HttpStatusError) throw new RequestRejectedError(this.system, error.status, error.message);
      throw error;
    }
  }

  async replaceOrderSignals(inputs: DemandSignalInput[]): Promise<void> {
    if (inputs.length === 0) return;
    await this.http.call({
      method: 'POST',
      path: '/api/demand-signals/batch/upsert',
      route: '/api/demand-signals/batch/upsert',
      body: { inputs, completeOrders: true },
      schema: z.unknown(),
    });
  }

  listChanges(cursor: ChangeCursor | null, limit: number): Promise<ChangePage<Requirement>> {
    return readChangePage(this.http, '/api/requirements', cursor, limit, requirementSchema);
  }
}

import type { FieldLimits } from '../domain/fieldLimits';
import { z } from 'zod';
import { BatchRejectedError, RequestRejectedError } from '../shared/systemErrors';
import { HttpSystem, HttpStatusError, type HttpSystemOptions } from './httpClient';
import type { CrmProductInput, CrmProductRecord, ProductSink, ProductSinkCapabilities, UpsertResult } from './productConnectors';

const crmValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const crmProductSchema = z.object({
  externalId: z.string(),
  properties: z.record(z.string(), crmValueSchema),
  archived: z.boolean(),
});

const readResponseSchema = z.object({ results: z.array(crmProductSchema) });
const upsertResponseSchema = z.object({
  results: z.array(
    z.object({
      externalId: z.string(),
      created: z.boolean(),
      properties: z.record(z.string(), crmValueSchema).optional(),
      archived: z.boolean().optional(),
    }),
  ),
});
const listResponseSchema = z.object({ total: z.number().int().nonnegative() });
const listPageSchema = z.object({
  results: z.array(crmProductSchema),
  paging: z.object({ next: z.object({ after: z.string() }) }).nullable(),
});

/**
 * The text limits of the sandbox CRM's product properties, as its published API document
 * (GET /openapi.json, the upsert body's `properties`) states them.
 */
const sandboxCrmFieldLimits: FieldLimits = {
  name: 100,
  description: 65_536,
  sku: 64,
  category: 100,
  priceFormatted: 64,
  features: 10_000,
  lifecycle: 32,
};

/** The sandbox CRM: batch upsert by external id, as HubSpot and Salesforce offer. */
export class SandboxCrmSink implements ProductSink {
  private readonly http: HttpSystem;
  readonly capabilities: ProductSinkCapabilities;

  constructor(options: Omit<HttpSystemOptions, 'system'> & { system?: string; maxWriteBatch?: number; checkFieldLimits?: boolean }) {
    this.http = new HttpSystem({ system: 'CRM', ...options });
    this.capabilities = {
      maxWriteBatch: options.maxWriteBatch ?? 100,
      // Its batches are independent transactions: two in flight keep it busy while one is on the wire.
      writesInFlight: 2,
      countIsCurrent: true,
      maxReadBatch: 1000,
      upsert: 'native',
      archives: true,
      ...(options.checkFieldLimits === false ? {} : { fieldLimits: sandboxCrmFieldLimits }),
    };
  }

  get system(): string {
    return this.http.system;
  }

  async readByExternalIds(externalIds: string[]): Promise<CrmProductRecord[]> {
    if (externalIds.length === 0) return [];
    const response = await this.http.call({
      method: 'POST',
      path: '/api/products/batch/read',
      route: '/api/products/batch/read',
      body: { externalIds },
      schema: readResponseSchema,
    });
    return response.results;
  }

  async upsertBatch(inputs: CrmProductInput[]): Promise<UpsertResult[]> {
    if (inputs.length === 0) return [];
    try {
      const response = await this.http.request({
        method: 'POST',
        path: '/api/products/batch/upsert',
        route: '/api/products/batch/upsert',
        body: { inputs },
        schema: upsertResponseSchema,
      });
      // The answer carries each record as stored, so the write verifies itself (see UpsertResult.stored).
      return response.results.map(({ externalId, created, properties, archived }) => ({
        externalId,
        created,
        ...(properties !== undefined && archived !== undefined ? { stored: { properties, archived } } : {}),
      }));
    } catch (error) {
      if (error instanceof HttpStatusError && (error.status === 400 || error.status === 422)) {
        throw new BatchRejectedError(this.system, 'invalid-record', error.message);
      }
      if (error instanceof HttpStatusError && error.status === 413) {
        throw new BatchRejectedError(this.system, 'too-large', error.message);
      }
      if (error instanceof HttpStatusError) throw new RequestRejectedError(this.system, error.status, error.message);
      throw error;
    }
  }

  /** Every record the sandbox CRM holds carries an external id: all are the bridge's. */
  async listManaged(after: string | null, limit: number): Promise<{ records: CrmProductRecord[]; after: string | null }> {
    const page = await this.http.call({
      method: 'GET',
      path: '/api/products',
      route: '/api/products',
      query: { limit, includeArchived: 'false', ...(after ? { after } : {}) },
      schema: listPageSchema,
    });
    return { records: page.results, after: page.paging?.next.after ?? null };
  }

  async count(): Promise<number> {
    const response = await this.http.call({
      method: 'GET',
      path: '/api/products',
      route: '/api/products',
      query: { limit: 1 },
      schema: listResponseSchema,
    });
    return response.total;
  }
}

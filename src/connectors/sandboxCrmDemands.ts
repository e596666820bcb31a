import { z } from 'zod';
import { crmAccountSchema, crmContactSchema, type CrmAccount, type CrmContact } from '../domain/crmDemand';
import { feedRecordSchema, readChangePage, type ChangePage, type FeedRecord } from './changeFeed';
import { type ChangeCursor } from '../shared/changeCursor';
import type { DemandLinkSink, DemandLinkUpdate, DemandSource } from './demandConnectors';
import { HttpSystem, type HttpSystemOptions } from './httpClient';

const productsBySkuSchema = z.object({
  results: z.array(z.object({ externalId: z.string(), properties: z.object({ sku: z.unknown() }).loose() })),
});

/** The sandbox CRM's customer side: demands, orders, accounts, and the demand link fields. */
export class SandboxCrmDemands implements DemandSource, DemandLinkSink {
  private readonly http: HttpSystem;
  readonly maxLinkBatch = 100;
  readonly settleMs = 0;

  constructor(options: Omit<HttpSystemOptions, 'system'> & { system?: string }) {
    this.http = new HttpSystem({ system: 'CRM', ...options });
  }

  get system(): string {
    return this.http.system;
  }

  listDemandChanges(cursor: ChangeCursor | null, limit: number): Promise<ChangePage<FeedRecord>> {
    return readChangePage(this.http, '/api/demands', cursor, limit, feedRecordSchema);
  }

  listOrderChanges(cursor: ChangeCursor | null, limit: number): Promise<ChangePage<FeedRecord>> {
    return readChangePage(this.http, '/api/orders', cursor, limit, feedRecordSchema);
  }

  async readDemands(ids: string[]): Promise<FeedRecord[]> {
    if (ids.length === 0) return [];
    const response = await this.http.call({
      method: 'POST',
      path: '/api/demands/batch/read',
      route: '/api/demands/batch/read',
      body: { ids },
      schema: z.object({ results: z.array(feedRecordSchema) }),
    });
    return response.results;
  }

  async readAccounts(ids: string[]): Promise<CrmAccount[]> {
    if (ids.length === 0) return [];
    const response = await this.http.call({
      method: 'POST',
      path: '/api/accounts/batch/read',
      route: '/api/accounts/batch/read',
      body: { ids },
      schema: z.object({ results: z.array(crmAccountSchema) }),
    });
    return response.results;
  }

  async readContacts(ids: string[]): Promise<CrmContact[]> {
    if (ids.length === 0) return [];
    const response = await this.http.call({
      method: 'POST',
      path: '/api/contacts/batch/read',
      route: '/api/contacts/batch/read',
      body: { ids },
      schema: z.object({ results: z.array(crmContactSchema) }),
    });
    return response.results;
  }

  async resolveSkus(skus: string[]): Promise<Map<string, string>> {
    if (skus.length === 0) return new Map();
    const response = await this.http.call({
      method: 'POST',
      path: '/api/products/batch/read-by-sku',
      route: '/api/products/batch/read-by-sku',
      body: { skus },
      schema: productsBySkuSchema,
    });
    return new Map(response.results.map((product) => [String(product.properties.sku), product.externalId]));
  }

  async updateDemandLinks(updates: DemandLinkUpdate[]): Promise<Array<{ id: string; found: boolean; changed: boolean }>> {
    if (updates.length === 0) return [];
    const response = await this.http.call({
      method: 'POST',
      path: '/api/demands/batch/update-links',
      route: '/api/demands/batch/update-links',
      body: { inputs: updates },
      schema: z.object({ results: z.array(z.object({ id: z.string(), found: z.boolean(), changed: z.boolean() })) }),
    });
    return response.results;
  }
}

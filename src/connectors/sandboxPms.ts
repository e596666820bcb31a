import { z } from 'zod';
import type { RawPmsProduct } from '../domain/pmsProduct';
import { readChangePage, feedRecordSchema } from './changeFeed';
import { type ChangeCursor } from '../shared/changeCursor';
import { HttpSystem, type HttpSystemOptions } from './httpClient';
import type { ProductPage, ProductSource, ProductSourceCapabilities } from './productConnectors';

/** The sandbox PMS (and any in-house PMS with the same REST shape) as a product source. */
export class SandboxPmsSource implements ProductSource {
  private readonly http: HttpSystem;
  readonly capabilities: ProductSourceCapabilities = { maxPageSize: 1000, incremental: true, reportsDeletes: true, settleMs: 0 };

  constructor(options: Omit<HttpSystemOptions, 'system'> & { system?: string }) {
    this.http = new HttpSystem({ system: 'PMS', ...options });
  }

  get system(): string {
    return this.http.system;
  }

  listChanged(cursor: ChangeCursor | null, limit: number): Promise<ProductPage> {
    return readChangePage(this.http, '/api/products', cursor, limit, feedRecordSchema);
  }

  /** One request per 100 ids (the API's limit on a batch get). */
  async getByIds(ids: string[]): Promise<RawPmsProduct[]> {
    const found: RawPmsProduct[] = [];
    for (let start = 0; start < ids.length; start += 100) {
      const page = await this.http.call({
        method: 'POST',
        path: '/api/products/batch-get',
        route: '/api/products/batch-get',
        body: { ids: ids.slice(start, start + 100) },
        schema: z.object({ data: z.array(feedRecordSchema) }),
      });
      found.push(...page.data);
    }
    return found;
  }
}

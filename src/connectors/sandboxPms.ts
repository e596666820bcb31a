import { z } from 'zod';
import type { RawPmsProduct } from '../domain/pmsProduct';
import { readChangePage, feedRecordSchema, type ChangeCursor } from './changeFeed';
import { HttpSystem, type HttpSystemOptions } from './httpClient';
import type { ProductPage, ProductSource } from './productConnectors';

/** The sandbox PMS (and any in-house PMS with the same REST shape) as a product source. */
export class SandboxPmsSource implements ProductSource {
  private readonly http: HttpSystem;
  readonly maxGetBatch = 1000;

  constructor(options: Omit<HttpSystemOptions, 'system'> & { system?: string }) {
    this.http = new HttpSystem({ system: 'PMS', ...options });
  }

  get system(): string {
    return this.http.system;
  }

  listChanged(cursor: ChangeCursor | null, limit: number): Promise<ProductPage> {
    return readChangePage(this.http, '/api/products', cursor, limit, feedRecordSchema);
  }

  async getByIds(ids: string[]): Promise<RawPmsProduct[]> {
    if (ids.length === 0) return [];
    const answer = await this.http.call({
      method: 'POST',
      path: '/api/products/batch-get',
      body: { ids },
      schema: z.object({ data: z.array(feedRecordSchema) }),
    });
    return answer.data;
  }
}

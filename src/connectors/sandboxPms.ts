import { z } from 'zod';
import { HttpSystem, HttpStatusError, asRequestRejected, type HttpSystemOptions } from './httpClient';
import type { ChangeCursor, ProductPage, ProductSource } from './productConnectors';

/** Only the paging keys are checked here; record content is validated one record at a time later. */
const rawProductSchema = z
  .object({ id: z.string().min(1), updatedAt: z.string().min(1), deleted: z.boolean().optional() })
  .loose();

const pageSchema = z.object({
  data: z.array(rawProductSchema),
  nextCursor: z.object({ since: z.string(), afterId: z.string() }).nullable(),
  hasMore: z.boolean(),
});

/** The sandbox PMS (and any in-house PMS with the same REST shape). */
export class SandboxPmsSource implements ProductSource {
  private readonly http: HttpSystem;

  constructor(options: Omit<HttpSystemOptions, 'system'> & { system?: string }) {
    this.http = new HttpSystem({ system: 'PMS', ...options });
  }

  get system(): string {
    return this.http.system;
  }

  async listChanged(cursor: ChangeCursor | null, limit: number): Promise<ProductPage> {
    try {
      const page = await this.http.request({
        method: 'GET',
        path: '/api/products',
        query: { since: cursor?.since, afterId: cursor?.afterId, limit },
        schema: pageSchema,
      });
      return { records: page.data, nextCursor: page.nextCursor, hasMore: page.hasMore };
    } catch (error) {
      if (error instanceof HttpStatusError) throw asRequestRejected(this.system, error);
      throw error;
    }
  }
}

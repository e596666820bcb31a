import { readChangePage, feedRecordSchema, type ChangeCursor } from './changeFeed';
import { HttpSystem, type HttpSystemOptions } from './httpClient';
import type { ProductPage, ProductSource, ProductSourceCapabilities } from './productConnectors';

/** The sandbox PMS (and any in-house PMS with the same REST shape) as a product source. */
export class SandboxPmsSource implements ProductSource {
  private readonly http: HttpSystem;
  readonly capabilities: ProductSourceCapabilities = { maxPageSize: 1000, incremental: true, reportsDeletes: true };

  constructor(options: Omit<HttpSystemOptions, 'system'> & { system?: string }) {
    this.http = new HttpSystem({ system: 'PMS', ...options });
  }

  get system(): string {
    return this.http.system;
  }

  listChanged(cursor: ChangeCursor | null, limit: number): Promise<ProductPage> {
    return readChangePage(this.http, '/api/products', cursor, limit, feedRecordSchema);
  }
}

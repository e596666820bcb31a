import { z } from 'zod';
import { byFeedPosition, isAfterCursor, type ChangeCursor } from '../shared/changeCursor';
import type { RawPmsProduct } from '../domain/pmsProduct';
import type { AkeneoSystemConfig, AkeneoValueSpec } from './akeneoConfig';
import { InvalidResponseError } from '../shared/systemErrors';
import { HttpStatusError, HttpSystem, type AuthProvider, type SharedPacing } from './httpClient';
import type { ProductPage, ProductSource, ProductSourceCapabilities } from './productConnectors';
import { getPath, setPath } from './recordPath';

/**
 * Akeneo PIM as a product source: products-uuid filtered on `updated`, paged with search_after by
 * following `_links.next.href` (never built by hand), values picked per locale and channel.
 * https://api.akeneo.com/documentation/pagination.html, https://api.akeneo.com/documentation/filter.html
 */

const valueSchema = z.object({ locale: z.string().nullable().optional(), scope: z.string().nullable().optional(), data: z.unknown() });
const productSchema = z
  .object({
    uuid: z.string().min(1),
    updated: z.string().min(1),
    values: z.record(z.string(), z.array(valueSchema)).default({}),
  })
  .loose();
type AkeneoProduct = z.infer<typeof productSchema>;
const listSchema = z.object({
  _links: z.object({ next: z.object({ href: z.string().min(1) }).optional() }).loose(),
  _embedded: z.object({ items: z.array(productSchema) }),
});

/** Akeneo's date filter format (UTC on SaaS), to the second. */
function akeneoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export class AkeneoPimSource implements ProductSource {
  readonly system = 'Akeneo';
  readonly capabilities: ProductSourceCapabilities = {
    maxPageSize: 1000,
    incremental: true,
    reportsDeletes: false,
    // Akeneo documents no delay between a save and the `updated` filter seeing it.
    settleMs: 0,
  };
  private readonly http: HttpSystem;
  /**
   * search_after pages come in uuid order, not by change time, so a read takes every page changed
   * since the cursor and sorts them; the sorted snapshot serves the run's following pages.
   */
  private snapshot: { since: number; takenAt: number; records: RawPmsProduct[] } | undefined;

  constructor(
    auth: AuthProvider,
    private readonly config: AkeneoSystemConfig,
    private readonly now: () => number = Date.now,
    /** The instance's shared pacer (systems.<name>.rateLimit). */
    pacing: SharedPacing = {},
  ) {
    this.http = new HttpSystem({ system: this.system, baseUrl: config.url, auth, timeoutMs: config.timeoutMs, ...pacing });
  }

  /** A channel's locales, or undefined when Akeneo has no channel of that code (for `bridge check`). */
  async channelLocales(code: string): Promise<string[] | undefined> {
    try {
      const channel = await this.http.request({
        method: 'GET',
        path: `/api/rest/v1/channels/${encodeURIComponent(code)}`,
        schema: z.object({ code: z.string(), locales: z.array(z.string()) }).loose(),
      });
      return channel.locales;
    } catch (error) {
      if (error instanceof HttpStatusError && error.status === 404) return undefined;
      throw error;
    }
  }

  async listChanged(cursor: ChangeCursor | null, limit: number): Promise<ProductPage> {
    const since = cursor ? Date.parse(cursor.since) : 0;
    const snapshot = this.snapshot;
    const fresh = snapshot && snapshot.since <= since && this.now() - snapshot.takenAt <= this.config.products.snapshotTtlMs;
    // A snapshot with nothing left after the cursor is used up: what changed since needs a new read.
    let after = fresh ? snapshot.records.filter((r) => isAfterCursor(r, cursor)) : [];
    if (after.length === 0) {
      const records = await this.readSince(since);
      this.snapshot = { since, takenAt: this.now(), records };
      after = records.filter((r) => isAfterCursor(r, cursor));
    }
    const page = after.slice(0, limit);
    const last = page.at(-1);
    return { records: page, nextCursor: last ? { since: last.updatedAt, afterId: last.id } : null, hasMore: after.length > limit };
  }

  /** Products by uuid, 100 a request (the uuid filter takes a list); unknown ones are absent. */
  async getByIds(ids: string[]): Promise<RawPmsProduct[]> {
    const found: RawPmsProduct[] = [];
    for (let start = 0; start < ids.length; start += this.config.products.pageSize) {
      const search = { uuid: [{ operator: 'IN', value: ids.slice(start, start + this.config.products.pageSize) }] };
      found.push(...(await this.readAll(search)));
    }
    return found;
  }

  private async readSince(since: number): Promise<RawPmsProduct[]> {
    const { products } = this.config;
    // `>` on whole seconds: start a second early and let the cursor drop what was already seen.
    const search = { ...products.search, ...(since > 0 ? { updated: [{ operator: '>', value: akeneoDate(since - 1000) }] } : {}) };
    return (await this.readAll(search)).sort(byFeedPosition);
  }

  /** Every page of a products-uuid search, following _links.next.href. */
  private async readAll(search: Record<string, unknown>): Promise<RawPmsProduct[]> {
    const { products } = this.config;
    let path: string | undefined = `/api/rest/v1/products-uuid?${new URLSearchParams({
      search: JSON.stringify(search),
      pagination_type: 'search_after',
      limit: String(products.pageSize),
    }).toString()}`;
    const records: RawPmsProduct[] = [];
    while (path) {
      const page: z.infer<typeof listSchema> = await this.http.call({ method: 'GET', path, schema: listSchema });
      records.push(...page._embedded.items.map((item) => this.toProduct(item)));
      path = page._links.next?.href;
    }
    return records;
  }

  private toProduct(product: AkeneoProduct): RawPmsProduct {
    const updated = Date.parse(product.updated);
    if (Number.isNaN(updated)) throw new InvalidResponseError(this.system, `Akeneo product ${product.uuid} has an unreadable updated date`);
    const mapped: Record<string, unknown> = {};
    for (const [field, spec] of Object.entries(this.config.products.fields)) {
      const value = this.pick(product, spec);
      if (value !== undefined) setPath(mapped, field, value);
    }
    return { ...mapped, id: product.uuid, updatedAt: new Date(updated).toISOString() };
  }

  /** One field's value: a path, or the attribute value for the configured locale and channel. */
  private pick(product: AkeneoProduct, spec: AkeneoValueSpec): unknown {
    if (typeof spec === 'string') return getPath(product, spec);
    let value: unknown;
    if (spec.path) value = getPath(product, spec.path);
    else {
      const locale = spec.locale === undefined ? this.config.products.locale : spec.locale;
      const channel = spec.channel === undefined ? this.config.products.channel : spec.channel;
      const entries = product.values[spec.attribute!] ?? [];
      const entry =
        entries.find((e) => (e.locale ?? null) === locale && (e.scope ?? null) === channel) ??
        entries.find((e) => (e.locale ?? null) === locale && (e.scope ?? null) === null) ??
        entries.find((e) => (e.locale ?? null) === null && (e.scope ?? null) === channel) ??
        entries.find((e) => (e.locale ?? null) === null && (e.scope ?? null) === null);
      value = entry?.data;
      if (spec.currency && Array.isArray(value))
        value = (value as Array<{ amount?: unknown; currency?: unknown }>).find((p) => p.currency === spec.currency)?.amount;
      if (value && typeof value === 'object' && !Array.isArray(value) && 'amount' in value) value = value.amount;
    }
    if (spec.values && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'))
      value = spec.values[String(value)] ?? value;
    if (spec.type === 'number' && typeof value === 'string' && value.trim() !== '') value = Number(value);
    if (spec.type === 'list' && typeof value === 'string')
      value = value
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter(Boolean);
    return value;
  }
}

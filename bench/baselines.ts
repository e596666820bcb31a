import { defaultFieldMapping, fieldMappingSchema, mapProduct, type CrmProperties } from '../src/domain/fieldMapping';
import { validatePmsProduct } from '../src/domain/validation';

/**
 * The two loops productSync is measured against: the naive script of the original design and the
 * raw ceiling, a hand-written batched loop with no orchestration. Both read the PMS and map with
 * the bridge's own mapping, so all three write the same records.
 */

const mapping = fieldMappingSchema.parse(defaultFieldMapping);

interface Endpoint {
  url: string;
  token: string;
}

async function call<T>(endpoint: Endpoint, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${endpoint.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${endpoint.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

interface FeedPage {
  data: Array<Record<string, unknown> & { id: string; deleted?: boolean }>;
  nextCursor: { since: string; afterId: string } | null;
  hasMore: boolean;
}

/** GET every product from the PMS (pages of 1,000) and map the valid ones. */
async function readAllMapped(pms: Endpoint): Promise<Array<{ externalId: string; properties: CrmProperties }>> {
  const records: Array<{ externalId: string; properties: CrmProperties }> = [];
  let cursor: FeedPage['nextCursor'] = null;
  for (;;) {
    const query: URLSearchParams = new URLSearchParams({ limit: '1000', ...(cursor ?? {}) });
    const page: FeedPage = await call<FeedPage>(pms, 'GET', `/api/products?${query.toString()}`);
    for (const raw of page.data) {
      const validated = validatePmsProduct(raw);
      if (raw.deleted || !validated.ok) continue;
      records.push({ externalId: raw.id, properties: mapProduct(validated.product, mapping) });
    }
    if (!page.hasMore || !page.nextCursor) return records;
    cursor = page.nextCursor;
  }
}

export interface LoopResult {
  records: number;
  requests: number;
  seconds: number;
}

/**
 * The naive script: GET all products, then one write per product, sequentially. The sandbox CRM
 * writes products only through its batch upsert, so "one PUT" is a batch of one record: the same
 * round trip and the same server work.
 */
export async function naiveScript(pms: Endpoint, crm: Endpoint): Promise<LoopResult> {
  const started = performance.now();
  const records = await readAllMapped(pms);
  for (const record of records) await call(crm, 'POST', '/api/products/batch/upsert', { inputs: [record] });
  return { records: records.length, requests: records.length, seconds: (performance.now() - started) / 1000 };
}

/** The raw ceiling: GET all products, then batched upserts of `batchSize`, with `concurrency` in flight. */
export async function rawCeiling(pms: Endpoint, crm: Endpoint, batchSize = 100, concurrency = 2): Promise<LoopResult> {
  const started = performance.now();
  const records = await readAllMapped(pms);
  let next = 0;
  let requests = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < records.length) {
        const batch = records.slice(next, next + batchSize);
        next += batchSize;
        requests++;
        await call(crm, 'POST', '/api/products/batch/upsert', { inputs: batch });
      }
    }),
  );
  return { records: records.length, requests, seconds: (performance.now() - started) / 1000 };
}

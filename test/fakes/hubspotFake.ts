import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * A fake of the HubSpot CRM v3 product API, faithful to the documented behaviour the connector
 * depends on. Sources:
 * - batch upsert by a unique property, 200/207 answers with `results[].new` and `errors[]`:
 *   https://developers.hubspot.com/docs/api-reference/latest/crm/objects/custom-objects/batch/upsert-custom-objects
 * - idProperty must be unique, else 400 "Unable to perform update/upsert by non-unique ... property":
 *   https://github.com/HubSpot/hubspot-api-nodejs/issues/548
 * - unique properties are created with hasUniqueValue (products may refuse it):
 *   https://developers.hubspot.com/changelog/unique-properties-for-contacts
 * - batch endpoints take at most 100 inputs; 10 s rolling and daily limits, 429 body with policyName,
 *   X-HubSpot-RateLimit-* headers: https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
 * - search: 200 per page, 10,000 results per query (400 beyond), 5 requests/s, no rate-limit headers:
 *   https://developers.hubspot.com/docs/api-reference/latest/crm/search-the-crm
 * - batch read answers 207 with an OBJECT_NOT_FOUND error for ids it does not know.
 * Every property value is stored and returned as a string, as HubSpot does.
 */

export interface HubSpotProperty {
  name: string;
  label: string;
  type: 'string' | 'number' | 'bool' | 'datetime' | 'enumeration';
  fieldType: string;
  groupName: string;
  hasUniqueValue: boolean;
}

export interface HubSpotRecord {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

export interface HubSpotFakeOptions {
  token: string;
  /** Whether this account accepts hasUniqueValue on product properties (not every account does). */
  allowUniqueProductProperties?: boolean;
  /** Requests per 10 s rolling window (private app on Professional: 190). */
  tenSecondLimit?: number;
  dailyLimit?: number;
  /** Results one search query may page through. */
  searchResultCap?: number;
  searchPerSecond?: number;
  /** Length of the rolling window (HubSpot: 10 s). */
  intervalMs?: number;
}

export interface HubSpotFake {
  url: string;
  products: Map<string, HubSpotRecord>;
  properties: Map<string, HubSpotProperty>;
  /** Method and path of every API request, in order. */
  requests: string[];
  /** Requests refused with 429, by policy. */
  refusals: Record<string, number>;
  /** Adds a custom product property, as an administrator would in HubSpot's settings. */
  addProperty(name: string, type: HubSpotProperty['type'], hasUniqueValue?: boolean): void;
  /** Inputs with these id values fail inside an otherwise successful batch (207). */
  failInBatch: Set<string>;
  /** The next API answer is 200 with a body of the wrong shape. */
  malformNext(): void;
  /** Sets how many requests of the day are already used. */
  useDailyRequests(count: number): void;
  /** Fills the 10 s window as if other apps had just used it. */
  exhaustTenSecondWindow(): void;
  close(): Promise<void>;
}

const builtInProperties: HubSpotProperty[] = [
  { name: 'name', label: 'Name', type: 'string', fieldType: 'text', groupName: 'productinformation', hasUniqueValue: false },
  { name: 'description', label: 'Description', type: 'string', fieldType: 'textarea', groupName: 'productinformation', hasUniqueValue: false },
  { name: 'price', label: 'Unit price', type: 'number', fieldType: 'number', groupName: 'productinformation', hasUniqueValue: false },
  { name: 'hs_sku', label: 'SKU', type: 'string', fieldType: 'text', groupName: 'productinformation', hasUniqueValue: false },
  { name: 'hs_object_id', label: 'Record ID', type: 'number', fieldType: 'number', groupName: 'productinformation', hasUniqueValue: true },
  { name: 'hs_lastmodifieddate', label: 'Last modified', type: 'datetime', fieldType: 'date', groupName: 'productinformation', hasUniqueValue: false },
  { name: 'createdate', label: 'Create date', type: 'datetime', fieldType: 'date', groupName: 'productinformation', hasUniqueValue: false },
];
const defaultReturned = ['name', 'price', 'description', 'hs_sku', 'hs_object_id', 'createdate', 'hs_lastmodifieddate'];

function error(category: string, message: string, extra: Record<string, unknown> = {}) {
  return { status: 'error', message, correlationId: 'c0ffee00-0000-4000-8000-000000000000', category, ...extra };
}

export async function startHubSpotFake(options: HubSpotFakeOptions): Promise<HubSpotFake> {
  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
  const products = new Map<string, HubSpotRecord>();
  const properties = new Map(builtInProperties.map((p) => [p.name, { ...p }]));
  const requests: string[] = [];
  const failInBatch = new Set<string>();
  const tenSecondLimit = options.tenSecondLimit ?? 190;
  const dailyLimit = options.dailyLimit ?? 625_000;
  const searchResultCap = options.searchResultCap ?? 10_000;
  const searchPerSecond = options.searchPerSecond ?? 5;
  const intervalMs = options.intervalMs ?? 10_000;
  const refusals: Record<string, number> = {};
  const refuse = (reply: FastifyReply, policyName: string, message: string) => {
    refusals[policyName] = (refusals[policyName] ?? 0) + 1;
    return reply.code(429).send({ ...error('RATE_LIMITS', message), errorType: 'RATE_LIMIT', policyName });
  };
  let window: number[] = [];
  let searchWindow: number[] = [];
  let dailyUsed = 0;
  let malformed = false;
  let nextId = 1_000;
  let lastStamp = 0;

  /** Millisecond timestamps, several records of one batch share one: pagination must tie-break. */
  const stamp = () => {
    lastStamp = Math.max(Date.now(), lastStamp);
    return new Date(lastStamp).toISOString();
  };

  function rateHeaders(reply: FastifyReply) {
    void reply.headers({
      'x-hubspot-ratelimit-max': String(tenSecondLimit),
      'x-hubspot-ratelimit-remaining': String(Math.max(0, tenSecondLimit - window.length)),
      'x-hubspot-ratelimit-interval-milliseconds': String(intervalMs),
      'x-hubspot-ratelimit-daily': String(dailyLimit),
      'x-hubspot-ratelimit-daily-remaining': String(Math.max(0, dailyLimit - dailyUsed)),
    });
  }

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    requests.push(`${request.method} ${request.url.split('?')[0]}`);
    if (request.headers.authorization !== `Bearer ${options.token}`) {
      return reply
        .code(401)
        .send(error('INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview'));
    }
    const now = Date.now();
    if (dailyUsed >= dailyLimit) {
      return refuse(reply, 'DAILY', 'You have reached your daily limit.');
    }
    if (request.url.endsWith('/search')) {
      searchWindow = searchWindow.filter((t) => t > now - 1000);
      if (searchWindow.length >= searchPerSecond) {
        return refuse(reply, 'SECONDLY', 'You have reached your secondly limit.');
      }
      searchWindow.push(now);
      dailyUsed += 1;
    } else {
      window = window.filter((t) => t > now - intervalMs);
      if (window.length >= tenSecondLimit) {
        rateHeaders(reply);
        return refuse(reply, 'TEN_SECONDLY_ROLLING', 'You have reached your ten_secondly_rolling limit.');
      }
      window.push(now);
      dailyUsed += 1;
      rateHeaders(reply);
    }
    if (malformed) {
      malformed = false;
      return reply.code(200).send({ status: 'COMPLETE', results: 'not a list' });
    }
  });

  /** Stores values the way HubSpot does (strings), refusing values of the wrong type. */
  function validateValues(values: Record<string, unknown>): string | undefined {
    for (const [name, value] of Object.entries(values)) {
      const property = properties.get(name);
      if (!property) return `Property "${name}" does not exist`;
      if (property.type === 'number' && value !== null && value !== '' && !Number.isFinite(Number(value))) {
        return `Property values were not valid: ${name} ${JSON.stringify(value)} was not a valid number`;
      }
    }
    return undefined;
  }
  const stringify = (values: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v === null || v === undefined ? null : typeof v === 'string' ? v : String(v as number | boolean)]));

  function view(record: HubSpotRecord, wanted?: string[]) {
    const names = wanted && wanted.length > 0 ? [...new Set([...wanted, 'hs_object_id', 'createdate', 'hs_lastmodifieddate'])] : defaultReturned;
    return { ...record, properties: Object.fromEntries(names.filter((n) => n in record.properties).map((n) => [n, record.properties[n]!])) };
  }

  function write(existing: HubSpotRecord | undefined, values: Record<string, string | null>): { record: HubSpotRecord; created: boolean } {
    const now = stamp();
    if (existing) {
      const merged = { ...existing.properties, ...values };
      const changed = Object.keys(values).some((k) => existing.properties[k] !== values[k]);
      const record = changed ? { ...existing, properties: { ...merged, hs_lastmodifieddate: now }, updatedAt: now } : existing;
      products.set(record.id, record);
      return { record, created: false };
    }
    const id = String(nextId++);
    const record = { id, properties: { ...values, hs_object_id: id, createdate: now, hs_lastmodifieddate: now }, createdAt: now, updatedAt: now, archived: false };
    products.set(id, record);
    return { record, created: true };
  }

  const byProperty = (property: string, value: string) => [...products.values()].find((p) => !p.archived && p.properties[property] === value);

  function batchLimit(inputs: unknown[], reply: FastifyReply): boolean {
    if (inputs.length <= 100) return false;
    void reply.code(400).send(error('VALIDATION_ERROR', `Too many inputs: ${inputs.length}. The batch limit is 100 inputs per request.`));
    return true;
  }

  app.get('/crm/v3/properties/products', async () => ({ results: [...properties.values()] }));
  app.get('/crm/v3/properties/products/:name', async (request, reply) => {
    const property = properties.get((request.params as { name: string }).name);
    return property ?? reply.code(404).send(error('OBJECT_NOT_FOUND', `Unable to find property ${(request.params as { name: string }).name}`));
  });
  app.post('/crm/v3/properties/products', async (request, reply) => {
    const body = request.body as Partial<HubSpotProperty>;
    if (!body.name || !body.type || !body.fieldType || !body.groupName || !body.label) return reply.code(400).send(error('VALIDATION_ERROR', 'name, label, type, fieldType and groupName are required'));
    if (properties.has(body.name)) return reply.code(409).send(error('OBJECT_ALREADY_EXISTS', `A property named '${body.name}' already exists.`));
    if (body.hasUniqueValue && options.allowUniqueProductProperties === false) {
      return reply.code(400).send(error('VALIDATION_ERROR', 'Unique value properties are not supported for object type PRODUCT'));
    }
    const property = { ...(body as HubSpotProperty), hasUniqueValue: body.hasUniqueValue ?? false };
    properties.set(property.name, property);
    return reply.code(201).send(property);
  });

  app.post('/crm/v3/objects/products/batch/upsert', async (request, reply) => {
    const { inputs } = request.body as { inputs: Array<{ idProperty: string; id: string; properties: Record<string, unknown> }> };
    if (batchLimit(inputs, reply)) return;
    for (const input of inputs) {
      const property = properties.get(input.idProperty);
      if (!property?.hasUniqueValue) {
        return reply.code(400).send(error('VALIDATION_ERROR', `Unable to perform update/upsert by non-unique 0-7 property ${input.idProperty}`));
      }
      const problem = validateValues(input.properties);
      if (problem) return reply.code(400).send(error('VALIDATION_ERROR', problem));
    }
    const startedAt = stamp();
    const results = [];
    const errors = [];
    for (const input of inputs) {
      if (failInBatch.has(input.id)) {
        errors.push(error('CONFLICT', `Record ${input.id} is being modified by another process; try again.`, { context: { ids: [input.id] } }));
        continue;
      }
      const { record, created } = write(byProperty(input.idProperty, input.id), stringify({ ...input.properties, [input.idProperty]: input.id }));
      results.push({ ...view(record, Object.keys(input.properties).concat(input.idProperty)), new: created });
    }
    const body = { status: 'COMPLETE', results, startedAt, completedAt: stamp(), ...(errors.length > 0 ? { errors, numErrors: errors.length } : {}) };
    return reply.code(errors.length > 0 ? 207 : 200).send(body);
  });

  app.post('/crm/v3/objects/products/batch/read', async (request, reply) => {
    const body = request.body as { idProperty?: string; inputs: Array<{ id: string }>; properties?: string[] };
    if (batchLimit(body.inputs, reply)) return;
    const archived = (request.query as { archived?: string }).archived === 'true';
    const found = [];
    const missing = [];
    for (const { id } of body.inputs) {
      const record = body.idProperty ? [...products.values()].find((p) => p.properties[body.idProperty!] === id) : products.get(id);
      if (record && record.archived === archived) found.push(view(record, body.properties));
      else missing.push(id);
    }
    const errors = missing.length > 0 ? [error('OBJECT_NOT_FOUND', 'Could not get some PRODUCT objects, they may be deleted or not exist. Check that ids are valid.', { context: { ids: missing } })] : [];
    return reply.code(errors.length > 0 ? 207 : 200).send({ status: 'COMPLETE', results: found, startedAt: stamp(), completedAt: stamp(), ...(errors.length ? { errors, numErrors: 1 } : {}) });
  });

  app.post('/crm/v3/objects/products/batch/create', async (request, reply) => {
    const { inputs } = request.body as { inputs: Array<{ properties: Record<string, unknown> }> };
    if (batchLimit(inputs, reply)) return;
    for (const input of inputs) {
      const problem = validateValues(input.properties);
      if (problem) return reply.code(400).send(error('VALIDATION_ERROR', problem));
    }
    const results = inputs.map((input) => view(write(undefined, stringify(input.properties)).record, Object.keys(input.properties)));
    return reply.code(201).send({ status: 'COMPLETE', results, startedAt: stamp(), completedAt: stamp() });
  });

  app.post('/crm/v3/objects/products/batch/update', async (request, reply) => {
    const { inputs } = request.body as { inputs: Array<{ id: string; properties: Record<string, unknown> }> };
    if (batchLimit(inputs, reply)) return;
    for (const input of inputs) {
      const problem = validateValues(input.properties);
      if (problem) return reply.code(400).send(error('VALIDATION_ERROR', problem));
      if (!products.has(input.id)) return reply.code(400).send(error('VALIDATION_ERROR', `Object ${input.id} does not exist`));
    }
    const results = inputs.map((input) => view(write(products.get(input.id), stringify(input.properties)).record, Object.keys(input.properties)));
    return { status: 'COMPLETE', results, startedAt: stamp(), completedAt: stamp() };
  });

  interface Filter { propertyName: string; operator: string; value?: string; values?: string[] }
  function matches(record: HubSpotRecord, filter: Filter): boolean {
    const raw = record.properties[filter.propertyName];
    const isTime = properties.get(filter.propertyName)?.type === 'datetime';
    const compare = (a: string | null | undefined, b: string) => (isTime ? Date.parse(a ?? '') - Number(b) : Number(a) - Number(b));
    switch (filter.operator) {
      case 'EQ': return raw === filter.value;
      case 'IN': return filter.values!.includes(raw ?? '');
      case 'GTE': return compare(raw, filter.value!) >= 0;
      case 'GT': return compare(raw, filter.value!) > 0;
      case 'HAS_PROPERTY': return raw !== null && raw !== undefined && raw !== '';
      default: return false;
    }
  }

  app.post('/crm/v3/objects/products/search', async (request, reply) => {
    const body = request.body as { filterGroups?: Array<{ filters: Filter[] }>; sorts?: Array<{ propertyName: string; direction: string }>; properties?: string[]; limit?: number; after?: string };
    const limit = body.limit ?? 10;
    const after = Number(body.after ?? 0);
    if (limit > 200) return reply.code(400).send(error('VALIDATION_ERROR', 'limit must be at most 200'));
    if (after + limit > searchResultCap) {
      return reply.code(400).send(error('VALIDATION_ERROR', `There was a problem with the request. Paging is limited to ${searchResultCap} results; narrow the query.`));
    }
    const groups = body.filterGroups ?? [];
    let found = [...products.values()].filter((r) => !r.archived && (groups.length === 0 || groups.some((g) => g.filters.every((f) => matches(r, f)))));
    const sort = body.sorts?.[0];
    // Ties on the sort key come back in no particular order (here: newest id first), as in HubSpot.
    found = found.sort((a, b) => Number(b.id) - Number(a.id));
    if (sort) {
      const key = (r: HubSpotRecord) => (properties.get(sort.propertyName)?.type === 'datetime' ? Date.parse(r.properties[sort.propertyName] ?? '') : Number(r.properties[sort.propertyName]));
      found = found.sort((a, b) => (key(a) - key(b)) * (sort.direction === 'DESCENDING' ? -1 : 1));
    }
    const page = found.slice(after, after + limit);
    const next = after + limit < found.length ? { paging: { next: { after: String(after + limit) } } } : {};
    return { total: found.length, results: page.map((r) => view(r, body.properties)), ...next };
  });

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: address,
    products,
    properties,
    requests,
    refusals,
    failInBatch,
    addProperty: (name, type, hasUniqueValue = false) => {
      properties.set(name, { name, label: name, type, fieldType: type === 'number' ? 'number' : 'text', groupName: 'productinformation', hasUniqueValue });
    },
    malformNext: () => {
      malformed = true;
    },
    useDailyRequests: (count) => {
      dailyUsed = count;
    },
    exhaustTenSecondWindow: () => {
      window = Array.from({ length: tenSecondLimit }, () => Date.now());
    },
    close: () => app.close(),
  };
}

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
 * - batch read answers 207 with an OBJECT_NOT_FOUND error for ids it does not know, and 404
 *   OBJECT_NOT_FOUND when it knows none of them (HubSpot/HubSpot-public-api-spec-collection, CRM objects v3
 *   batch read; seen in https://github.com/HubSpot/hubspot-api-nodejs/issues/190 threads).
 * - batch results are not guaranteed in input order: the fake shuffles them
 *   (https://github.com/HubSpot/hubspot-api-nodejs/issues/190).
 * - search: IN on a string property needs lowercase values ("When searching a string property with this
 *   operator, values must be lowercase"), a request body over 3,000 characters is refused with 400, and new or
 *   changed records appear in search results only after a delay (eventual consistency, "a few moments"):
 *   https://developers.hubspot.com/docs/api-reference/latest/crm/search-the-crm
 * - tickets, companies, contacts, deals and line items share the object API (batch read/update by
 *   id or by a unique `idProperty`, search); properties per object type:
 *   https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/tickets/batch/update-tickets
 *   https://developers.hubspot.com/docs/api-reference/latest/crm/objects/objects/batch/update-objects
 * - associations v4 batch read, `{ from: { id }, to: [{ toObjectId, associationTypes: [{ category, typeId, label }] }] }`,
 *   at most 1,000 inputs, paged per record (`results[].paging.next.after`, sent back beside the id in the
 *   next request's input); type ids, never labels, say which association is the primary one (ticket -> company:
 *   26 primary, 339 unlabelled; deal -> company: 5 primary, 341 unlabelled), labels are display text that changes:
 *   https://developers.hubspot.com/docs/api-reference/latest/crm/associations/associations-v4/guide
 *   https://developers.hubspot.com/changelog/changes-to-primary-labels-for-hubspot-defined-association-labels
 *   https://developers.hubspot.com/docs/api-reference/legacy/crm/associations/associate-records/batch/get-associations
 *   https://developers.hubspot.com/changelog/bug-fix-batch-read-limit-for-hubspot-associations-api
 * - ticket properties subject, content, hs_pipeline, hs_pipeline_stage, hs_ticket_priority (LOW,
 *   MEDIUM, HIGH, URGENT): https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/tickets/guide
 * Every property value is stored and returned as a string, as HubSpot does.
 */

/** The object types the fake holds (HubSpot's names in the API paths). */
export const hubspotObjectTypes = ['products', 'tickets', 'companies', 'contacts', 'deals', 'line_items'] as const;
export type HubSpotObjectType = (typeof hubspotObjectTypes)[number];

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
  /** How long a write takes to show in search results (HubSpot: "a few moments"; 3 s here unless a test lowers it). */
  searchIndexDelayMs?: number;
  /**
   * Object types the token has no scopes for: their requests answer 403 MISSING_SCOPES
   * (https://developers.hubspot.com/docs/api-reference/error-handling).
   */
  missingScopes?: HubSpotObjectType[];
  /** Associations one record's entry in a v4 batch read carries before it pages (`paging.next.after`). */
  associationPageSize?: number;
}

export interface HubSpotFake {
  url: string;
  products: Map<string, HubSpotRecord>;
  /** Product properties. */
  properties: Map<string, HubSpotProperty>;
  objects: Record<HubSpotObjectType, Map<string, HubSpotRecord>>;
  propertiesOf: Record<HubSpotObjectType, Map<string, HubSpotProperty>>;
  /** Creates a record as a HubSpot user would; returns its id. */
  createRecord(type: HubSpotObjectType, values: Record<string, string>): string;
  /** Edits a record as a HubSpot user would (hs_lastmodifieddate moves on). */
  updateRecord(type: HubSpotObjectType, id: string, values: Record<string, string>): void;
  /** Associates two records; `primary` adds HubSpot's primary association type (e.g. ticket -> company 26 beside 339). */
  associate(fromType: HubSpotObjectType, fromId: string, toType: HubSpotObjectType, toId: string, primary?: boolean): void;
  /** Adds a custom property to an object type (products unless named). */
  addObjectProperty(objectType: HubSpotObjectType, name: string, type: HubSpotProperty['type'], hasUniqueValue?: boolean): void;
  /** Method and path of every API request, in order. */
  requests: string[];
  /** Request bodies of every search request, in order. */
  searchBodies: string[];
  /** Resolves once every write so far shows in search results. */
  indexed(): Promise<void>;
  /** The record's latest write shows in search only `ms` from now (HubSpot's delay varies from write to write). */
  delayIndexing(type: HubSpotObjectType, id: string, ms: number): void;
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

const property = (
  name: string,
  label: string,
  type: HubSpotProperty['type'],
  groupName: string,
  hasUniqueValue = false,
): HubSpotProperty => ({
  name,
  label,
  type,
  fieldType: type === 'number' ? 'number' : type === 'datetime' ? 'date' : type === 'enumeration' ? 'select' : 'text',
  groupName,
  hasUniqueValue,
});
const systemProperties = (group: string) => [
  property('hs_object_id', 'Record ID', 'number', group, true),
  property('hs_lastmodifieddate', 'Last modified', 'datetime', group),
  property('createdate', 'Create date', 'datetime', group),
];

/** The default properties of each object type that the connector reads (HubSpot has many more). */
const builtInProperties: Record<HubSpotObjectType, HubSpotProperty[]> = {
  products: [
    property('name', 'Name', 'string', 'productinformation'),
    { ...property('description', 'Description', 'string', 'productinformation'), fieldType: 'textarea' },
    property('price', 'Unit price', 'number', 'productinformation'),
    property('hs_sku', 'SKU', 'string', 'productinformation'),
    ...systemProperties('productinformation'),
  ],
  tickets: [
    property('subject', 'Ticket name', 'string', 'ticketinformation'),
    { ...property('content', 'Ticket description', 'string', 'ticketinformation'), fieldType: 'textarea' },
    property('hs_pipeline', 'Pipeline', 'enumeration', 'ticketinformation'),
    property('hs_pipeline_stage', 'Ticket status', 'enumeration', 'ticketinformation'),
    property('hs_ticket_priority', 'Priority', 'enumeration', 'ticketinformation'),
    ...systemProperties('ticketinformation'),
  ],
  companies: [
    property('name', 'Company name', 'string', 'companyinformation'),
    property('domain', 'Company domain name', 'string', 'companyinformation'),
    property('industry', 'Industry', 'enumeration', 'companyinformation'),
    property('annualrevenue', 'Annual revenue', 'number', 'companyinformation'),
    ...systemProperties('companyinformation'),
  ],
  contacts: [
    property('firstname', 'First name', 'string', 'contactinformation'),
    property('lastname', 'Last name', 'string', 'contactinformation'),
    property('email', 'Email', 'string', 'contactinformation'),
    property('phone', 'Phone number', 'string', 'contactinformation'),
    ...systemProperties('contactinformation'),
  ],
  deals: [
    property('dealname', 'Deal name', 'string', 'dealinformation'),
    property('pipeline', 'Pipeline', 'enumeration', 'dealinformation'),
    property('dealstage', 'Deal stage', 'enumeration', 'dealinformation'),
    property('closedate', 'Close date', 'datetime', 'dealinformation'),
    property('amount', 'Amount', 'number', 'dealinformation'),
    ...systemProperties('dealinformation'),
  ],
  line_items: [
    property('name', 'Name', 'string', 'lineiteminformation'),
    property('quantity', 'Quantity', 'number', 'lineiteminformation'),
    property('price', 'Unit price', 'number', 'lineiteminformation'),
    property('hs_sku', 'SKU', 'string', 'lineiteminformation'),
    property('hs_product_id', 'Product ID', 'number', 'lineiteminformation'),
    ...systemProperties('lineiteminformation'),
  ],
};

function error(category: string, message: string, extra: Record<string, unknown> = {}) {
  return { status: 'error', message, correlationId: 'c0ffee00-0000-4000-8000-000000000000', category, ...extra };
}

const isObjectType = (name: string): name is HubSpotObjectType => (hubspotObjectTypes as readonly string[]).includes(name);

export async function startHubSpotFake(options: HubSpotFakeOptions): Promise<HubSpotFake> {
  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
  const objects = Object.fromEntries(hubspotObjectTypes.map((t) => [t, new Map<string, HubSpotRecord>()])) as Record<
    HubSpotObjectType,
    Map<string, HubSpotRecord>
  >;
  const propertiesOf = Object.fromEntries(
    hubspotObjectTypes.map((t) => [t, new Map(builtInProperties[t].map((p) => [p.name, { ...p }]))]),
  ) as Record<HubSpotObjectType, Map<string, HubSpotProperty>>;
  /** from type -> to type -> from id -> (to id -> primary) */
  const associations = new Map<string, Map<string, Map<string, Map<string, boolean>>>>();
  const products = objects.products;
  const properties = propertiesOf.products;
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
  const searchIndexDelayMs = options.searchIndexDelayMs ?? 3_000;
  const associationPageSize = options.associationPageSize ?? 500;
  const searchBodies: string[] = [];
  /** What search sees: per type and id, the versions of a record with the instant each becomes searchable. */
  const searchIndex = Object.fromEntries(
    hubspotObjectTypes.map((t) => [t, new Map<string, Array<{ record: HubSpotRecord; at: number }>>()]),
  ) as Record<HubSpotObjectType, Map<string, Array<{ record: HubSpotRecord; at: number }>>>;
  let lastIndexedAt = 0;
  const toIndex = (type: HubSpotObjectType, record: HubSpotRecord) => {
    const now = Date.now();
    const at = now + searchIndexDelayMs;
    lastIndexedAt = Math.max(lastIndexedAt, at);
    const versions = [...(searchIndex[type].get(record.id) ?? []), { record, at }];
    // Versions older than the newest searchable one are never seen again.
    const newestSearchable = versions.reduce((found, v, i) => (v.at <= now ? i : found), 0);
    searchIndex[type].set(record.id, versions.slice(newestSearchable));
  };
  /** The record as search sees it now: its newest version whose indexing delay has passed. */
  const searchable = (type: HubSpotObjectType, id: string) =>
    searchIndex[type]
      .get(id)
      ?.filter((v) => v.at <= Date.now())
      .at(-1)?.record;
  /** Fisher-Yates: batch answers come in no guaranteed order. */
  const shuffled = <T>(items: T[]): T[] => {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  };

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
        .send(
          error(
            'INVALID_AUTHENTICATION',
            'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
          ),
        );
    }
    const scopeless = (options.missingScopes ?? []).find((type) => request.url.split('?')[0]!.split('/').includes(type));
    if (scopeless)
      return reply.code(403).send(
        error('MISSING_SCOPES', "This app hasn't been granted all required scopes to make this call.", {
          errors: [{ message: `One or more of the following scopes are required.`, context: { requiredScopes: [scopeless] } }],
        }),
      );
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

  /** The object type named in the path, or a 400 as HubSpot answers for an unknown one. */
  function objectTypeOf(request: FastifyRequest, reply: FastifyReply): HubSpotObjectType | undefined {
    const name = (request.params as { objectType: string }).objectType;
    if (isObjectType(name)) return name;
    void reply.code(400).send(error('VALIDATION_ERROR', `Unable to infer object type from: ${name}`));
    return undefined;
  }

  /** Stores values the way HubSpot does (strings), refusing values of the wrong type. */
  function validateValues(type: HubSpotObjectType, values: Record<string, unknown>): string | undefined {
    for (const [name, value] of Object.entries(values)) {
      const definition = propertiesOf[type].get(name);
      if (!definition) return `Property "${name}" does not exist`;
      if (definition.type === 'number' && value !== null && value !== '' && !Number.isFinite(Number(value))) {
        return `Property values were not valid: ${name} ${JSON.stringify(value)} was not a valid number`;
      }
    }
    return undefined;
  }
  const stringify = (values: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(values).map(([k, v]) => [
        k,
        v === null || v === undefined ? null : typeof v === 'string' ? v : String(v as number | boolean),
      ]),
    );

  function view(type: HubSpotObjectType, record: HubSpotRecord, wanted?: string[]) {
    const defaults = builtInProperties[type].map((p) => p.name);
    const names = wanted && wanted.length > 0 ? [...new Set([...wanted, 'hs_object_id', 'createdate', 'hs_lastmodifieddate'])] : defaults;
    return {
      ...record,
      properties: Object.fromEntries(names.filter((n) => n in record.properties).map((n) => [n, record.properties[n]!])),
    };
  }

  function write(
    type: HubSpotObjectType,
    existing: HubSpotRecord | undefined,
    values: Record<string, string | null>,
  ): { record: HubSpotRecord; created: boolean } {
    const now = stamp();
    const store = objects[type];
    if (existing) {
      const merged = { ...existing.properties, ...values };
      const changed = Object.keys(values).some((k) => existing.properties[k] !== values[k]);
      const record = changed ? { ...existing, properties: { ...merged, hs_lastmodifieddate: now }, updatedAt: now } : existing;
      store.set(record.id, record);
      if (changed) toIndex(type, record);
      return { record, created: false };
    }
    const id = String(nextId++);
    const record = {
      id,
      properties: { ...values, hs_object_id: id, createdate: now, hs_lastmodifieddate: now },
      createdAt: now,
      updatedAt: now,
      archived: false,
    };
    store.set(id, record);
    toIndex(type, record);
    return { record, created: true };
  }

  const byProperty = (type: HubSpotObjectType, name: string, value: string) =>
    [...objects[type].values()].find((p) => !p.archived && p.properties[name] === value);
  /** A record by id, or by the value of a unique property (HubSpot refuses a non-unique one). */
  const findRecord = (type: HubSpotObjectType, id: string, idProperty?: string) =>
    idProperty && idProperty !== 'hs_object_id' ? byProperty(type, idProperty, id) : objects[type].get(id);
  const nonUnique = (type: HubSpotObjectType, idProperty: string | undefined) =>
    idProperty !== undefined && idProperty !== 'hs_object_id' && propertiesOf[type].get(idProperty)?.hasUniqueValue !== true;
  const nonUniqueError = (idProperty: string) =>
    error('VALIDATION_ERROR', `Unable to perform update/upsert by non-unique 0-7 property ${idProperty}`);

  function batchLimit(inputs: unknown[], reply: FastifyReply, limit = 100): boolean {
    if (inputs.length <= limit) return false;
    void reply
      .code(400)
      .send(error('VALIDATION_ERROR', `Too many inputs: ${inputs.length}. The batch limit is ${limit} inputs per request.`));
    return true;
  }

  app.get('/crm/v3/properties/:objectType', async (request, reply) => {
    const type = objectTypeOf(request, reply);
    return type && { results: [...propertiesOf[type].values()] };
  });
  app.get('/crm/v3/properties/:objectType/:name', async (request, reply) => {
    const type = objectTypeOf(request, reply);
    if (!type) return;
    const { name } = request.params as { name: string };
    return propertiesOf[type].get(name) ?? reply.code(404).send(error('OBJECT_NOT_FOUND', `Unable to find property ${name}`));
  });
  app.post('/crm/v3/properties/:objectType', async (request, reply) => {
    const type = objectTypeOf(request, reply);
    if (!type) return;
    const body = request.body as Partial<HubSpotProperty>;
    if (!body.name || !body.type || !body.fieldType || !body.groupName || !body.label)
      return reply.code(400).send(error('VALIDATION_ERROR', 'name, label, type, fieldType and groupName are required'));
    if (propertiesOf[type].has(body.name))
      return reply.code(409).send(error('OBJECT_ALREADY_EXISTS', `A property named '${body.name}' already exists.`));
    if (body.hasUniqueValue && type === 'products' && options.allowUniqueProductProperties === false) {
      return reply.code(400).send(error('VALIDATION_ERROR', 'Unique value properties are not supported for object type PRODUCT'));
    }
    const created = { ...(body as HubSpotProperty), hasUniqueValue: body.hasUniqueValue ?? false };
    propertiesOf[type].set(created.name, created);
    return reply.code(201).send(created);
  });

  app.post('/crm/v3/objects/:objectType/batch/upsert', async (request, reply) => {
    const type = objectTypeOf(request, reply);
    if (!type) return;
    const { inputs } = request.body as { inputs: Array<{ idProperty: string; id: string; properties: Record<string, unknown> }> };
    if (batchLimit(inputs, reply)) return;
    for (const input of inputs) {
      if (propertiesOf[type].get(input.idProperty)?.hasUniqueValue !== true) return reply.code(400).send(nonUniqueError(input.idProperty));
      const problem = validateValues(type, input.properties);
      if (problem) return reply.code(400).send(error('VALIDATION_ERROR', problem));
    }
    const startedAt = stamp();
    const results = [];
    const errors = [];
    for (const input of inputs) {
      if (failInBatch.has(input.id)) {
        errors.push(
          error('CONFLICT', `Record ${input.id} is being modified by another process; try again.`, { context: { ids: [input.id] } }),
        );
        continue;
      }
      const { record, created } = write(
        type,
        byProperty(type, input.idProperty, input.id),
        stringify({ ...input.properties, [input.idProperty]: input.id }),
      );
      // HubSpot returns the properties sent in `properties`: the id property only when it was among them.
      results.push({ ...view(type, record, Object.keys(input.properties)), new: created });
    }
    const body = {
      status: 'COMPLETE',
      results: shuffled(results),
      startedAt,
      completedAt: stamp(),
      ...(errors.length > 0 ? { errors, numErrors: errors.length } : {}),
    };
    return reply.code(errors.length > 0 ? 207 : 200).send(body);
  });

  app.post('/crm/v3/objects/:objectType/batch/read', async (request, reply) => {
    const type = objectTypeOf(request, reply);
    if (!type) return;
    const body = request.body as { idProperty?: string; inputs: Array<{ id: string }>; properties?: string[] };
    if (batchLimit(body.inputs, reply)) return;
    if (nonUnique(type, body.idProperty)) return reply.code(400).send(nonUniqueError(body.idProperty!));
    const archived = (request.query as { archived?: string }).archived === 'true';
    const found = [];
    const missing = [];
    for (const { id } of body.inputs) {
      const record = body.idProperty
        ? [...objects[type].values()].find((p) => p.properties[body.idProperty!] === id)
        : objects[type].get(id);
      if (record && record.archived === archived) found.push(view(type, record, body.properties));
      else missing.push(id);
    }
    const errors =
      missing.length > 0
        ? [
            error(
              'OBJECT_NOT_FOUND',
              `Could not get some ${type.toUpperCase()} objects, they may be deleted or not exist. Check that ids are valid.`,
              { context: { ids: missing } },
            ),
          ]
        : [];
    // Not one id known: 404 with the error alone, not a 207.
    if (found.length === 0 && missing.length > 0) return reply.code(404).send(errors[0]);
    return reply.code(errors.length > 0 ? 207 : 200).send({
      status: 'COMPLETE',
      results: shuffled(found),
      startedAt: stamp(),
      completedAt: stamp(),
      ...(errors.length ? { errors, numErrors: 1 } : {}),
    });
  });

  app.post('/crm/v3/objects/:objectType/batch/create', async (request, reply) => {
    const type = objectTypeOf(request, reply);
    if (!type) return;
    const { inputs } = request.body as { inputs: Array<{ properties: Record<string, unknown> }> };
    if (batchLimit(inputs, reply)) return;
    for (const input of inputs) {
      const problem = validateValues(type, input.properties);
      if (problem) return reply.code(400).send(error('VALIDATION_ERROR', problem));
    }
    const results = inputs.map((input) =>
      view(type, write(type, undefined, stringify(input.properties)).record, Object.keys(input.properties)),
    );
    return reply.code(201).send({ status: 'COMPLETE', results: shuffled(results), startedAt: stamp(), completedAt: stamp() });
  });

  app.post('/crm/v3/objects/:objectType/batch/update', async (request, reply) => {
    const type = objectTypeOf(request, reply);
    if (!type) return;
    const { inputs } = request.body as { inputs: Array<{ id: string; idProperty?: string; properties: Record<string, unknown> }> };
    if (batchLimit(inputs, reply)) return;
    for (const input of inputs) {
      if (nonUnique(type, input.idProperty)) return reply.code(400).send(nonUniqueError(input.idProperty!));
      const problem = validateValues(type, input.properties);
      if (problem) return reply.code(400).send(error('VALIDATION_ERROR', problem));
      if (!findRecord(type, input.id, input.idProperty))
        return reply.code(400).send(error('VALIDATION_ERROR', `Object ${input.id} does not exist`));
    }
    const results = inputs.map((input) =>
      view(
        type,
        write(type, findRecord(type, input.id, input.idProperty), stringify(input.properties)).record,
        Object.keys(input.properties),
      ),
    );
    return { status: 'COMPLETE', results: shuffled(results), startedAt: stamp(), completedAt: stamp() };
  });

  interface Filter {
    propertyName: string;
    operator: string;
    value?: string;
    values?: string[];
  }
  function matches(type: HubSpotObjectType, record: HubSpotRecord, filter: Filter): boolean {
    const raw = record.properties[filter.propertyName];
    const isTime = propertiesOf[type].get(filter.propertyName)?.type === 'datetime';
    const compare = (a: string | null | undefined, b: string) => (isTime ? Date.parse(a ?? '') - Number(b) : Number(a) - Number(b));
    switch (filter.operator) {
      case 'EQ':
        return raw === filter.value;
      case 'IN': {
        // String properties: HubSpot matches IN values only when they are sent lowercase.
        const isString = propertiesOf[type].get(filter.propertyName)?.type === 'string';
        if (!isString) return filter.values!.includes(raw ?? '');
        return filter.values!.some((v) => v === v.toLowerCase() && v === (raw ?? '').toLowerCase());
      }
      case 'GTE':
        return compare(raw, filter.value!) >= 0;
      case 'GT':
        return compare(raw, filter.value!) > 0;
      case 'HAS_PROPERTY':
        return raw !== null && raw !== undefined && raw !== '';
      default:
        return false;
    }
  }

  app.post('/crm/v3/objects/:objectType/search', async (request, reply) => {
    const type = objectTypeOf(request, reply);
    if (!type) return;
    const body = request.body as {
      filterGroups?: Array<{ filters: Filter[] }>;
      sorts?: Array<{ propertyName: string; direction: string }>;
      properties?: string[];
      limit?: number;
      after?: string;
    };
    const bodyText = JSON.stringify(request.body);
    searchBodies.push(bodyText);
    if (bodyText.length > 3000)
      return reply
        .code(400)
        .send(
          error('VALIDATION_ERROR', `The request body is ${bodyText.length} characters; search requests are limited to 3000 characters.`),
        );
    const limit = body.limit ?? 10;
    const after = Number(body.after ?? 0);
    if (limit > 200) return reply.code(400).send(error('VALIDATION_ERROR', 'limit must be at most 200'));
    if (after + limit > searchResultCap) {
      return reply
        .code(400)
        .send(
          error(
            'VALIDATION_ERROR',
            `There was a problem with the request. Paging is limited to ${searchResultCap} results; narrow the query.`,
          ),
        );
    }
    const groups = body.filterGroups ?? [];
    const indexed = [...searchIndex[type].keys()].flatMap((id) => searchable(type, id) ?? []);
    let found = indexed.filter(
      (r) => !r.archived && (groups.length === 0 || groups.some((g) => g.filters.every((f) => matches(type, r, f)))),
    );
    const sort = body.sorts?.[0];
    // Ties on the sort key come back in no particular order (here: newest id first), as in HubSpot.
    found = found.sort((a, b) => Number(b.id) - Number(a.id));
    if (sort) {
      const key = (r: HubSpotRecord) =>
        propertiesOf[type].get(sort.propertyName)?.type === 'datetime'
          ? Date.parse(r.properties[sort.propertyName] ?? '')
          : Number(r.properties[sort.propertyName]);
      found = found.sort((a, b) => (key(a) - key(b)) * (sort.direction === 'DESCENDING' ? -1 : 1));
    }
    const page = found.slice(after, after + limit);
    const next = after + limit < found.length ? { paging: { next: { after: String(after + limit) } } } : {};
    return { total: found.length, results: page.map((r) => view(type, r, body.properties)), ...next };
  });

  const associationsFrom = (from: string, to: string) => {
    let byType = associations.get(from);
    if (!byType) associations.set(from, (byType = new Map<string, Map<string, Map<string, boolean>>>()));
    let byId = byType.get(to);
    if (!byId) byType.set(to, (byId = new Map<string, Map<string, boolean>>()));
    return byId;
  };
  /**
   * HubSpot-defined association type ids per direction: [primary, unlabelled]. Primary exists only towards a
   * company. Labels are display text that HubSpot renamed in 2024 ("Ticket with Primary Company"); only ids count.
   */
  const typeIds: Record<string, [number | undefined, number]> = {
    'tickets/companies': [26, 339],
    'deals/companies': [5, 341],
    'contacts/companies': [1, 279],
    'companies/tickets': [undefined, 340],
    'companies/deals': [undefined, 342],
    'companies/contacts': [undefined, 280],
    'tickets/contacts': [undefined, 16],
    'contacts/tickets': [undefined, 15],
    'deals/line_items': [undefined, 19],
    'line_items/deals': [undefined, 20],
    'deals/contacts': [undefined, 3],
    'contacts/deals': [undefined, 4],
  };
  const primaryLabel: Record<string, string> = {
    tickets: 'Ticket with Primary Company',
    deals: 'Deal with Primary Company',
    contacts: 'Primary',
  };
  const associationTypes = (from: string, to: string, primary: boolean) => {
    const [primaryId, plainId] = typeIds[`${from}/${to}`] ?? [undefined, 1];
    return [
      ...(primary && primaryId !== undefined
        ? [{ category: 'HUBSPOT_DEFINED', typeId: primaryId, label: primaryLabel[from] ?? 'Primary' }]
        : []),
      { category: 'HUBSPOT_DEFINED', typeId: plainId, label: null },
    ];
  };

  app.post('/crm/v4/associations/:fromObjectType/:toObjectType/batch/read', async (request, reply) => {
    const { fromObjectType, toObjectType } = request.params as { fromObjectType: string; toObjectType: string };
    if (!isObjectType(fromObjectType) || !isObjectType(toObjectType))
      return reply.code(400).send(error('VALIDATION_ERROR', `Unable to infer object type from: ${fromObjectType}/${toObjectType}`));
    const { inputs } = request.body as { inputs: Array<{ id: string; after?: string }> };
    if (batchLimit(inputs, reply, 1000)) return;
    const byId = associationsFrom(fromObjectType, toObjectType);
    const results = [];
    const missing = [];
    for (const { id, after } of inputs) {
      const to = byId.get(id);
      if (!to || to.size === 0) {
        missing.push(id);
        continue;
      }
      // Each record's associations page on their own: the next page is asked for with `after` beside the id.
      const start = Number(after ?? 0);
      const all = [...to];
      const page = all.slice(start, start + associationPageSize);
      results.push({
        from: { id },
        to: page.map(([toObjectId, primary]) => ({
          toObjectId: Number(toObjectId),
          associationTypes: associationTypes(fromObjectType, toObjectType, primary),
        })),
        ...(start + associationPageSize < all.length ? { paging: { next: { after: String(start + associationPageSize) } } } : {}),
      });
    }
    // Records without associations come back as errors of a 207, as HubSpot does.
    const errors = missing.map((id) => ({
      status: 'error',
      category: 'OBJECT_NOT_FOUND',
      message: `No ${toObjectType} is associated with ${fromObjectType} ${id}.`,
      context: { fromObjectId: [id] },
    }));
    return reply.code(errors.length > 0 ? 207 : 200).send({
      status: 'COMPLETE',
      results: shuffled(results),
      startedAt: stamp(),
      completedAt: stamp(),
      ...(errors.length ? { errors, numErrors: errors.length } : {}),
    });
  });

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: address,
    products,
    properties,
    objects,
    propertiesOf,
    requests,
    searchBodies,
    delayIndexing: (type, id, ms) => {
      const versions = searchIndex[type].get(id) ?? [];
      const latest = versions.at(-1);
      if (latest) latest.at = Date.now() + ms;
      lastIndexedAt = Math.max(lastIndexedAt, Date.now() + ms);
    },
    indexed: () => new Promise((resolve) => setTimeout(resolve, Math.max(0, lastIndexedAt - Date.now() + 1))),
    refusals,
    failInBatch,
    addProperty: (name, type, hasUniqueValue = false) => {
      properties.set(name, property(name, name, type, 'productinformation', hasUniqueValue));
    },
    addObjectProperty: (objectType, name, type, hasUniqueValue = false) => {
      propertiesOf[objectType].set(name, property(name, name, type, builtInProperties[objectType][0]!.groupName, hasUniqueValue));
    },
    createRecord: (type, values) => write(type, undefined, values).record.id,
    updateRecord: (type, id, values) => {
      const existing = objects[type].get(id);
      if (!existing) throw new Error(`no ${type} ${id} in the HubSpot fake`);
      write(type, existing, values);
    },
    associate: (fromType, fromId, toType, toId, primary = false) => {
      const link = (from: string, fromKey: string, to: string, toKey: string, isPrimary: boolean) => {
        const byId = associationsFrom(from, to);
        byId.set(fromKey, new Map([...(byId.get(fromKey) ?? new Map<string, boolean>()), [toKey, isPrimary]]));
      };
      link(fromType, fromId, toType, toId, primary);
      link(toType, toId, fromType, fromId, false);
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

import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * A fake of Productboard REST API v2 notes and entities. Each behaviour with its page:
 * - notes: create, list, retrieve, update (https://developer.productboard.com/v2.0.0/reference); list
 *   filters `metadata[source][system]`, `metadata[source][recordId]`, `archived`, `processed`,
 *   `updatedFrom` (https://developer.productboard.com/reference/listnotes). The page's table of
 *   `archived` x `processed` combinations is followed; with neither flag the fake leaves archived notes
 *   out, the stricter of the two readings (the table says "All notes", clients report archived notes
 *   hidden by default; see /work/shared/reference/vendor-apis.md [U]).
 * - paging: `links.next` carries a `pageCursor` and is absent on the last page
 *   (https://developer.productboard.com/reference/pagination).
 * - note relationships: a note links to many product entities and one customer; a new customer link
 *   replaces the old (https://developer.productboard.com/reference/createnoterelationship). Link
 *   targets are feature, subfeature, product or component (v1 "Create a link",
 *   https://developer.productboard.com/v1.0.0/reference/createlink-1; the v2 page's "e.g. initiative"
 *   is refused here, as the issue tracker's point 10 found [U]). Delete: `DELETE
 *   /v2/notes/{id}/relationships/{type}/{targetId}` [U path shape].
 * - entities: list with `type[]` (array notation, changelog 2026-02-25) and `parent[id]`
 *   (https://developer.productboard.com/reference/listentities), create with a parent relationship,
 *   retrieve, update fields, delete, relationships (https://developer.productboard.com/v2.0.0/reference,
 *   Entities). Hierarchy product > component > feature > subfeature
 *   (https://developer.productboard.com/reference/glossary-feature). A field the workspace lacks is
 *   refused with 422 [U shape].
 * - rate limits: 50 requests/s per token; 429 with X-RateLimit-Limit, X-RateLimit-Remaining and
 *   Retry-After in seconds (https://developer.productboard.com/reference/rate-limits).
 * - errors: `{ errors: [{ code, title, detail }] }`, codes after the v1 error-code page
 *   (https://developer.productboard.com/v1.0.0/reference/error-codes) [U v2 body shape]; 401 for a
 *   missing, wrong or expired token.
 */
interface FakeNote {
  id: string;
  type: string;
  fields: { name: string; content: string; archived: boolean; processed: boolean };
  metadata: { source: { system: string; recordId: string; url?: string } };
  relationships: Array<{ type: 'link' | 'customer'; target: { type: string; id: string } }>;
  updatedAt: string;
}

interface FakeEntityData {
  description: string;
  status?: { id: string; name: string };
  parentId?: string;
  updatedAt: string;
  /** Custom fields the workspace has for this entity (e.g. a number field for the demand score). */
  custom: Record<string, unknown>;
}

const noteLinkTypes = new Set(['feature', 'subfeature', 'product', 'component']);
const hierarchyTypes = new Set(['product', 'component', 'feature', 'subfeature', 'company', 'initiative']);

export interface ProductboardFake {
  url: string;
  notes: Map<string, FakeNote>;
  /** Entity id -> type (feature, component, company ...). */
  entities: Map<string, string>;
  /** Entity id -> name, for the entities that have one. */
  entityNames: Map<string, string>;
  /** Entity id -> the rest of what an entity holds (status, parent, custom fields). */
  entityData: Map<string, FakeEntityData>;
  /** Adds a named entity as a product manager would; returns its id. */
  addEntity(type: string, name: string, options?: { parentId?: string; status?: string }): string;
  /** A product manager sets a feature's status. */
  setStatus(id: string, status: string): void;
  /** A product manager deletes an entity; its note links go with it. */
  deleteEntity(id: string): void;
  /** A number field every entity of the workspace has (e.g. "Demand score"). */
  addCustomField(name: string): void;
  requests: string[];
  /** Requests that change something (POST, PATCH, PUT, DELETE). */
  writes(): number;
  refusals(): number;
  /** The next n requests get 429; `retryAfter: null` leaves the header out. */
  rateLimitNext(n: number, options?: { retryAfter?: string | null }): void;
  /** The next request whose method and URL (path and query) match gets 429, once. */
  rateLimitWhen(method: string, url: RegExp): void;
  /** From now on the token is expired: every request gets 401. */
  expireToken(): void;
  /** The next answer to a GET on this path prefix is a body of an unexpected shape. */
  malformNext(pathPrefix: string): void;
  /** Some notes made by other integrations, to page through before the bridge's. */
  addForeignNotes(count: number): void;
  close(): Promise<void>;
}

const error = (code: string, title: string, detail: string) => ({ errors: [{ code, title, detail }] });

export async function startProductboardFake(options: { token: string; perSecond?: number; pageSize?: number }): Promise<ProductboardFake> {
  const app = Fastify({ logger: false });
  const notes = new Map<string, FakeNote>();
  const entities = new Map<string, string>();
  const entityNames = new Map<string, string>();
  const entityData = new Map<string, FakeEntityData>();
  const customFields = new Set<string>();
  const requests: string[] = [];
  const perSecond = options.perSecond ?? 50;
  const pageSize = options.pageSize ?? 100;
  let window: number[] = [];
  let refused = 0;
  let forced = 0;
  let forcedRetryAfter: string | null = '1';
  let forcedWhen: { method: string; url: RegExp } | undefined;
  let expired = false;
  let malformed: string | undefined;
  let clock = Date.parse('2026-11-01T00:00:00.000Z');
  const tick = () => new Date((clock = Math.max(clock + 1, Date.now()))).toISOString();
  const dataOf = (id: string): FakeEntityData => {
    let data = entityData.get(id);
    if (!data) entityData.set(id, (data = { description: '', updatedAt: tick(), custom: {} }));
    return data;
  };

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    requests.push(`${request.method} ${request.url.split('?')[0]}`);
    if (request.headers.authorization !== `Bearer ${options.token}`)
      return reply.code(401).send(error('unauthorized', 'Unauthorized', 'Invalid or missing access token'));
    if (expired) return reply.code(401).send(error('unauthorized', 'Unauthorized', 'The access token has expired'));
    const now = Date.now();
    window = window.filter((t) => t > now - 1000);
    const matched = forcedWhen !== undefined && request.method === forcedWhen.method && forcedWhen.url.test(request.url);
    if (matched) forcedWhen = undefined;
    if (matched || forced > 0 || window.length >= perSecond) {
      const wasForced = forced > 0;
      forced = Math.max(0, forced - 1);
      refused += 1;
      const retryAfter = wasForced ? forcedRetryAfter : '1';
      return reply
        .code(429)
        .headers({
          ...(retryAfter !== null ? { 'retry-after': retryAfter } : {}),
          'x-ratelimit-limit': String(perSecond),
          'x-ratelimit-remaining': '0',
        })
        .send(error('rateLimit.exceeded', 'Too Many Requests', 'Too many requests'));
    }
    window.push(now);
    void reply.headers({ 'x-ratelimit-limit': String(perSecond), 'x-ratelimit-remaining': String(perSecond - window.length) });
    if (malformed !== undefined && request.method === 'GET' && request.url.startsWith(malformed)) {
      malformed = undefined;
      return reply.code(200).send({ items: 'not the documented shape' });
    }
  });

  /** One page of a list and the link to the next, absent on the last page. */
  function paged<T>(request: FastifyRequest, all: T[], path: string, query: URLSearchParams) {
    const offset = Number(query.get('pageCursor') ?? 0);
    query.set('pageCursor', String(offset + pageSize));
    const next = offset + pageSize < all.length ? `http://${request.headers.host}${path}?${query.toString()}` : undefined;
    return { data: all.slice(offset, offset + pageSize), links: next ? { next } : {} };
  }
  const queryOf = (request: FastifyRequest) => new URLSearchParams(request.url.split('?')[1] ?? '');

  const view = (note: FakeNote) => ({
    id: note.id,
    type: note.type,
    // Archived notes always report processed=false (listnotes page, "Filtering combinations").
    fields: { ...note.fields, processed: note.fields.archived ? false : note.fields.processed },
    metadata: note.metadata,
    updatedAt: note.updatedAt,
  });

  app.get('/v2/notes', async (request) => {
    const query = queryOf(request);
    const system = query.get('metadata[source][system]');
    const recordId = query.get('metadata[source][recordId]');
    const archived = query.get('archived');
    const processed = query.get('processed');
    const updatedFrom = query.get('updatedFrom');
    const keep = (n: FakeNote) => {
      if (system && n.metadata.source.system !== system) return false;
      if (recordId && n.metadata.source.recordId !== recordId) return false;
      if (updatedFrom && n.updatedAt < updatedFrom) return false;
      const isProcessed = !n.fields.archived && n.fields.processed;
      if (archived === 'true' && processed === 'true') return false;
      if (archived === 'true') return n.fields.archived;
      if (processed === 'true') return isProcessed;
      if (processed === 'false') return archived === 'false' ? !n.fields.archived && !isProcessed : !isProcessed;
      return !n.fields.archived;
    };
    const all = [...notes.values()].filter(keep).sort((a, b) => (a.id < b.id ? -1 : 1));
    const page = paged(request, all, '/v2/notes', query);
    return { ...page, data: page.data.map(view) };
  });

  app.get('/v2/notes/:id', async (request, reply) => {
    const note = notes.get((request.params as { id: string }).id);
    if (!note) return reply.code(404).send(error('notFound', 'Not Found', 'Note not found'));
    return { data: view(note) };
  });

  app.post('/v2/notes', async (request, reply) => {
    const body = request.body as { data?: Partial<FakeNote> };
    const data = body.data;
    if (!data?.type || !data.fields?.name)
      return reply.code(422).send(error('validation.required', 'Unprocessable Entity', 'data.type and data.fields.name are required'));
    const note: FakeNote = {
      id: randomUUID(),
      type: data.type,
      fields: { name: data.fields.name, content: data.fields.content ?? '', archived: false, processed: false },
      metadata: data.metadata as FakeNote['metadata'],
      relationships: [],
      updatedAt: tick(),
    };
    notes.set(note.id, note);
    return reply.code(201).send({ data: view(note), links: { self: `http://${request.headers.host}/v2/notes/${note.id}` } });
  });

  app.patch('/v2/notes/:id', async (request, reply) => {
    const note = notes.get((request.params as { id: string }).id);
    if (!note) return reply.code(404).send(error('notFound', 'Not Found', 'Note not found'));
    const { data } = request.body as { data?: { fields?: Partial<FakeNote['fields']> } };
    note.fields = { ...note.fields, ...data?.fields };
    note.updatedAt = tick();
    return { data: view(note) };
  });

  app.get('/v2/notes/:id/relationships', async (request, reply) => {
    const note = notes.get((request.params as { id: string }).id);
    if (!note) return reply.code(404).send(error('notFound', 'Not Found', 'Note not found'));
    return paged(request, note.relationships, request.url.split('?')[0]!, queryOf(request));
  });

  app.post('/v2/notes/:id/relationships', async (request, reply) => {
    const note = notes.get((request.params as { id: string }).id);
    if (!note) return reply.code(404).send(error('notFound', 'Not Found', 'Note not found'));
    const { data } = request.body as { data: { type: 'link' | 'customer'; target: { type: string; id: string } } };
    if (data.type === 'link' && !noteLinkTypes.has(data.target.type))
      return reply
        .code(422)
        .send(
          error(
            'validation.invalid',
            'Unprocessable Entity',
            `a note cannot be linked to a ${data.target.type}; link targets are feature, subfeature, product, component`,
          ),
        );
    if (entities.get(data.target.id) !== data.target.type) {
      return reply.code(404).send(error('notFound', 'Not Found', `${data.target.type} ${data.target.id} does not exist`));
    }
    if (data.type === 'customer') note.relationships = note.relationships.filter((r) => r.type !== 'customer');
    else if (note.relationships.some((r) => r.type === 'link' && r.target.id === data.target.id)) {
      return reply.code(409).send(error('conflict', 'Conflict', 'Relationship already exists'));
    }
    note.relationships.push(data);
    return reply.code(201).send({ data });
  });

  app.delete('/v2/notes/:id/relationships/:type/:targetId', async (request, reply) => {
    const { id, type, targetId } = request.params as { id: string; type: string; targetId: string };
    const note = notes.get(id);
    if (!note) return reply.code(404).send(error('notFound', 'Not Found', 'Note not found'));
    const before = note.relationships.length;
    note.relationships = note.relationships.filter((r) => !(r.type === type && r.target.id === targetId));
    if (note.relationships.length === before) return reply.code(404).send(error('notFound', 'Not Found', 'Relationship not found'));
    return reply.code(204).send();
  });

  const entityView = (id: string) => {
    const data = dataOf(id);
    return {
      id,
      type: entities.get(id)!,
      fields: {
        name: entityNames.get(id) ?? '',
        description: data.description,
        ...(data.status ? { status: data.status } : {}),
        ...data.custom,
      },
      updatedAt: data.updatedAt,
    };
  };

  app.get('/v2/entities', async (request, reply) => {
    const query = queryOf(request);
    const types = query.getAll('type[]');
    if (types.length === 0) return reply.code(400).send(error('validation.required', 'Bad Request', 'type[] is required'));
    const parent = query.get('parent[id]');
    const all = [...entities]
      .filter(([id, type]) => types.includes(type) && (!parent || entityData.get(id)?.parentId === parent))
      .map(([id]) => entityView(id));
    return paged(request, all, '/v2/entities', query);
  });

  app.get('/v2/entities/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!entities.has(id)) return reply.code(404).send(error('notFound', 'Not Found', `entity ${id} does not exist`));
    return { data: entityView(id) };
  });

  app.get('/v2/entities/:id/relationships', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!entities.has(id)) return reply.code(404).send(error('notFound', 'Not Found', `entity ${id} does not exist`));
    const parentId = entityData.get(id)?.parentId;
    const data = parentId ? [{ type: 'parent', target: { id: parentId, type: entities.get(parentId) ?? 'component' } }] : [];
    return paged(request, data, request.url.split('?')[0]!, queryOf(request));
  });

  app.post('/v2/entities', async (request, reply) => {
    const { data } = request.body as {
      data?: {
        type?: string;
        fields?: { name?: string; description?: string };
        relationships?: Array<{ type: string; target: { id: string } }>;
      };
    };
    if (!data?.type || !hierarchyTypes.has(data.type))
      return reply.code(422).send(error('validation.invalid', 'Unprocessable Entity', `unknown entity type ${String(data?.type)}`));
    if (!data.fields?.name) return reply.code(422).send(error('validation.required', 'Unprocessable Entity', 'fields.name is required'));
    const parentId = data.relationships?.find((r) => r.type === 'parent')?.target.id;
    if (parentId && !entities.has(parentId))
      return reply.code(404).send(error('notFound', 'Not Found', `parent entity ${parentId} does not exist`));
    const id = randomUUID();
    entities.set(id, data.type);
    entityNames.set(id, data.fields.name);
    // A new feature takes the workspace's first status [U: name of Productboard's default status].
    const status = data.type === 'feature' || data.type === 'subfeature' ? { status: { id: 'status-new-idea', name: 'New idea' } } : {};
    entityData.set(id, {
      description: data.fields.description ?? '',
      ...(parentId ? { parentId } : {}),
      ...status,
      updatedAt: tick(),
      custom: {},
    });
    return reply.code(201).send({ data: entityView(id) });
  });

  app.patch('/v2/entities/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!entities.has(id)) return reply.code(404).send(error('notFound', 'Not Found', `entity ${id} does not exist`));
    const { data } = request.body as { data?: { fields?: Record<string, unknown> } };
    const fields = data?.fields ?? {};
    const unknown = Object.keys(fields).filter((key) => !['name', 'description', 'status'].includes(key) && !customFields.has(key));
    if (unknown.length > 0)
      return reply.code(422).send(error('validation.unknownField', 'Unprocessable Entity', `unknown field ${unknown.join(', ')}`));
    const record = dataOf(id);
    for (const [key, value] of Object.entries(fields)) {
      if (key === 'name') entityNames.set(id, String(value));
      else if (key === 'description') record.description = String(value);
      else if (key !== 'status') record.custom[key] = value;
    }
    record.updatedAt = tick();
    return { data: entityView(id) };
  });

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: address,
    notes,
    entities,
    entityNames,
    entityData,
    addEntity: (type, name, extra = {}) => {
      const id = randomUUID();
      entities.set(id, type);
      entityNames.set(id, name);
      entityData.set(id, {
        description: '',
        ...(extra.parentId ? { parentId: extra.parentId } : {}),
        ...(extra.status ? { status: { id: `status-${extra.status}`, name: extra.status } } : {}),
        updatedAt: tick(),
        custom: {},
      });
      return id;
    },
    setStatus: (id, status) => {
      const data = dataOf(id);
      data.status = { id: `status-${status}`, name: status };
      data.updatedAt = tick();
    },
    deleteEntity: (id) => {
      entities.delete(id);
      entityNames.delete(id);
      entityData.delete(id);
      for (const note of notes.values()) note.relationships = note.relationships.filter((r) => r.target.id !== id);
    },
    addCustomField: (name) => {
      customFields.add(name);
    },
    requests,
    writes: () => requests.filter((r) => !r.startsWith('GET')).length,
    refusals: () => refused,
    rateLimitNext: (n, rateOptions = {}) => {
      forced = n;
      forcedRetryAfter = rateOptions.retryAfter === undefined ? '1' : rateOptions.retryAfter;
    },
    rateLimitWhen: (method, url) => {
      forcedWhen = { method, url };
    },
    expireToken: () => {
      expired = true;
    },
    malformNext: (pathPrefix) => {
      malformed = pathPrefix;
    },
    addForeignNotes: (count) => {
      for (let i = 0; i < count; i++) {
        const id = randomUUID();
        notes.set(id, {
          id,
          type: 'textNote',
          fields: { name: `Other ${i}`, content: '', archived: false, processed: false },
          metadata: { source: { system: 'zendesk', recordId: `Z-${i}` } },
          relationships: [],
          updatedAt: tick(),
        });
      }
    },
    close: () => app.close(),
  };
}

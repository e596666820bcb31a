import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * A fake of Productboard REST API v2 notes. Sources:
 * - notes: https://developer.productboard.com/v2.0.0/reference (create, list with
 *   metadata[source][system] / metadata[source][recordId] filters, links.next pagination:
 *   https://developer.productboard.com/reference/pagination)
 * - relationships: https://developer.productboard.com/v2.0.0/reference/createnoterelationship (a note
 *   links to many product entities and one customer; a new customer link replaces the old)
 * - rate limits: https://developer.productboard.com/reference/rate-limits (50 requests/s per token;
 *   429 with X-RateLimit-Limit, X-RateLimit-Remaining and Retry-After in seconds)
 * - entities (features, components, companies ...): GET /v2/entities?type[]=feature, `{ data: [{ id,
 *   type, fields: { name } }], links: { next } }`: https://developer.productboard.com/reference/listentities
 * Body shapes `{ data: { type, fields, metadata } }` and `{ data: { type, target: { type, id } } }`
 * follow the v2 reference; exact field sets beyond those are not modelled.
 */
interface FakeNote {
  id: string;
  type: string;
  fields: { name: string; content: string };
  metadata: { source: { system: string; recordId: string; url?: string } };
  relationships: Array<{ type: 'link' | 'customer'; target: { type: string; id: string } }>;
}

export interface ProductboardFake {
  url: string;
  notes: Map<string, FakeNote>;
  /** Entity id -> type (feature, component, company ...). */
  entities: Map<string, string>;
  /** Entity id -> name, for the entities that have one. */
  entityNames: Map<string, string>;
  /** Adds a named entity as a product manager would; returns its id. */
  addEntity(type: string, name: string): string;
  requests: string[];
  refusals(): number;
  rateLimitNext(n: number): void;
  /** Some notes made by other integrations, to page through before the bridge's. */
  addForeignNotes(count: number): void;
  close(): Promise<void>;
}

export async function startProductboardFake(options: { token: string; perSecond?: number; pageSize?: number }): Promise<ProductboardFake> {
  const app = Fastify({ logger: false });
  const notes = new Map<string, FakeNote>();
  const entities = new Map<string, string>();
  const entityNames = new Map<string, string>();
  const requests: string[] = [];
  const perSecond = options.perSecond ?? 50;
  const pageSize = options.pageSize ?? 100;
  let window: number[] = [];
  let refused = 0;
  let forced = 0;

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    requests.push(`${request.method} ${request.url.split('?')[0]}`);
    if (request.headers.authorization !== `Bearer ${options.token}`)
      return reply.code(401).send({ errors: [{ code: 'unauthorized', detail: 'Invalid or missing access token' }] });
    const now = Date.now();
    window = window.filter((t) => t > now - 1000);
    if (forced > 0 || window.length >= perSecond) {
      forced = Math.max(0, forced - 1);
      refused += 1;
      return reply
        .code(429)
        .headers({ 'retry-after': '1', 'x-ratelimit-limit': String(perSecond), 'x-ratelimit-remaining': '0' })
        .send({ errors: [{ code: 'rate_limit_exceeded', detail: 'Too many requests' }] });
    }
    window.push(now);
    void reply.headers({ 'x-ratelimit-limit': String(perSecond), 'x-ratelimit-remaining': String(perSecond - window.length) });
  });

  const view = (note: FakeNote) => ({ id: note.id, type: note.type, fields: note.fields, metadata: note.metadata });

  app.get('/v2/notes', async (request) => {
    const query = request.query as Record<string, string>;
    const system = query['metadata[source][system]'];
    const recordId = query['metadata[source][recordId]'];
    const all = [...notes.values()].filter(
      (n) => (!system || n.metadata.source.system === system) && (!recordId || n.metadata.source.recordId === recordId),
    );
    const offset = Number(query.pageCursor ?? 0);
    const page = all.slice(offset, offset + pageSize);
    const next =
      offset + pageSize < all.length
        ? `http://${request.headers.host}/v2/notes?${new URLSearchParams({ ...query, pageCursor: String(offset + pageSize) }).toString()}`
        : null;
    return { data: page.map(view), links: { next } };
  });

  app.post('/v2/notes', async (request, reply) => {
    const body = request.body as { data?: Partial<FakeNote> };
    const data = body.data;
    if (!data?.type || !data.fields?.name)
      return reply.code(400).send({ errors: [{ code: 'validation', detail: 'data.type and data.fields.name are required' }] });
    const note: FakeNote = {
      id: randomUUID(),
      type: data.type,
      fields: { name: data.fields.name, content: data.fields.content ?? '' },
      metadata: data.metadata as FakeNote['metadata'],
      relationships: [],
    };
    notes.set(note.id, note);
    return reply.code(201).send({ data: view(note), links: { self: `http://${request.headers.host}/v2/notes/${note.id}` } });
  });

  app.get('/v2/entities', async (request, reply) => {
    const query = request.query as Record<string, string | string[] | undefined>;
    const raw = query['type[]'];
    const types = Array.isArray(raw) ? raw : raw ? [raw] : [];
    if (types.length === 0) return reply.code(400).send({ errors: [{ code: 'validation', detail: 'type[] is required' }] });
    const all = [...entities]
      .filter(([, type]) => types.includes(type))
      .map(([id, type]) => ({ id, type, fields: { name: entityNames.get(id) ?? '' } }));
    const offset = Number(query.pageCursor ?? 0);
    const rest = new URLSearchParams(types.map((t): [string, string] => ['type[]', t]));
    rest.set('pageCursor', String(offset + pageSize));
    const next = offset + pageSize < all.length ? `http://${request.headers.host}/v2/entities?${rest.toString()}` : null;
    return { data: all.slice(offset, offset + pageSize), links: { next } };
  });

  app.get('/v2/notes/:id/relationships', async (request, reply) => {
    const note = notes.get((request.params as { id: string }).id);
    if (!note) return reply.code(404).send({ errors: [{ code: 'not_found', detail: 'Note not found' }] });
    return { data: note.relationships, links: { next: null } };
  });

  app.post('/v2/notes/:id/relationships', async (request, reply) => {
    const note = notes.get((request.params as { id: string }).id);
    if (!note) return reply.code(404).send({ errors: [{ code: 'not_found', detail: 'Note not found' }] });
    const { data } = request.body as { data: { type: 'link' | 'customer'; target: { type: string; id: string } } };
    if (entities.get(data.target.id) !== data.target.type) {
      return reply.code(404).send({ errors: [{ code: 'not_found', detail: `${data.target.type} ${data.target.id} does not exist` }] });
    }
    if (data.type === 'customer') note.relationships = note.relationships.filter((r) => r.type !== 'customer');
    else if (note.relationships.some((r) => r.type === 'link' && r.target.id === data.target.id)) {
      return reply.code(409).send({ errors: [{ code: 'conflict', detail: 'Relationship already exists' }] });
    }
    note.relationships.push(data);
    return reply.code(201).send({ data });
  });

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: address,
    notes,
    entities,
    entityNames,
    addEntity: (type, name) => {
      const id = randomUUID();
      entities.set(id, type);
      entityNames.set(id, name);
      return id;
    },
    requests,
    refusals: () => refused,
    rateLimitNext: (n) => {
      forced = n;
    },
    addForeignNotes: (count) => {
      for (let i = 0; i < count; i++) {
        const id = randomUUID();
        notes.set(id, {
          id,
          type: 'textNote',
          fields: { name: `Other ${i}`, content: '' },
          metadata: { source: { system: 'zendesk', recordId: `Z-${i}` } },
          relationships: [],
        });
      }
    },
    close: () => app.close(),
  };
}

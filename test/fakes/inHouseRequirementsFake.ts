import Fastify from 'fastify';

/**
 * An in-house PMS's requirement API, shaped unlike the sandbox on purpose (its own names, epoch-ms
 * timestamps, a cursor token, 412 for a stale write), to prove the `rest` requirement store is
 * configured, not coded, for it. No vendor documents it: it stands for "your own PMS".
 *
 * - GET /v2/reqs?changedSince=<ms>&after=<id>&max=<n>&product=&demand=&cursor= -> { items, page: { next } },
 *   ordered by (modified, reqId), records with modified >= changedSince
 * - GET /v2/reqs/:id -> { requirement } | 404
 * - POST /v2/reqs { requirement, key } -> { requirement }; the same key returns the first one
 * - PUT /v2/reqs/:id/links { links, score, ifModified } -> { requirement } | 412 when modified since
 * - POST /v2/demand-quantities { items }
 */
export interface InHouseRequirement {
  reqId: string;
  name: string;
  body: string;
  product: string;
  state: string;
  links: Array<{ demandId: string } & Record<string, unknown>>;
  score: number;
  modified: number;
}

export interface InHouseRequirementsFake {
  url: string;
  requirements: Map<string, InHouseRequirement>;
  quantities: unknown[];
  /** Requests that changed something. */
  writes(): number;
  setState(id: string, state: string): void;
  /** The next answer to a list request is this body instead. */
  malformNextList(body: unknown): void;
  close(): Promise<void>;
}

export async function startInHouseRequirementsFake(options: { token: string; maxPage?: number }): Promise<InHouseRequirementsFake> {
  const app = Fastify({ logger: false });
  const requirements = new Map<string, InHouseRequirement>();
  const byKey = new Map<string, string>();
  const quantities: unknown[] = [];
  const maxPage = options.maxPage ?? 2;
  let writes = 0;
  let last = 0;
  let malformed: unknown;
  const now = () => (last = Math.max(Date.now(), last + 1));

  app.addHook('onRequest', async (request, reply) => {
    if (request.headers.authorization !== `Bearer ${options.token}`) return reply.code(401).send({ error: 'unauthorized' });
    if (request.method !== 'GET') writes += 1;
  });

  app.get('/v2/reqs', async (request) => {
    if (malformed !== undefined) {
      const body = malformed;
      malformed = undefined;
      return body;
    }
    const q = request.query as { changedSince?: string; after?: string; max?: string; product?: string; demand?: string; cursor?: string };
    const since = q.changedSince ? Number(q.changedSince) : -Infinity;
    const found = [...requirements.values()]
      .filter((r) => r.modified >= since)
      .filter((r) => !q.product || r.product === q.product)
      .filter((r) => !q.demand || r.links.some((l) => l.demandId === q.demand))
      .sort((a, b) => a.modified - b.modified || a.reqId.localeCompare(b.reqId));
    const start = q.cursor ? Number(q.cursor) : 0;
    const size = Math.min(Number(q.max ?? maxPage), maxPage);
    const items = found.slice(start, start + size);
    return { items, page: { next: start + size < found.length ? String(start + size) : null } };
  });

  app.get('/v2/reqs/:id', async (request, reply) => {
    const found = requirements.get((request.params as { id: string }).id);
    return found ? { requirement: found } : reply.code(404).send({ error: 'not found' });
  });

  app.post('/v2/reqs', async (request, reply) => {
    const { requirement, key } = request.body as { requirement: Omit<InHouseRequirement, 'reqId' | 'state' | 'modified'>; key: string };
    if (!requirement?.name || !key) return reply.code(422).send({ error: 'name and key are required' });
    const known = byKey.get(key);
    if (known) return { requirement: requirements.get(known) };
    const created: InHouseRequirement = { ...requirement, reqId: `R${requirements.size + 1}`, state: 'open', modified: now() };
    requirements.set(created.reqId, created);
    byKey.set(key, created.reqId);
    return reply.code(201).send({ requirement: created });
  });

  app.put('/v2/reqs/:id/links', async (request, reply) => {
    const found = requirements.get((request.params as { id: string }).id);
    if (!found) return reply.code(404).send({ error: 'not found' });
    const { links, score, ifModified } = request.body as { links: InHouseRequirement['links']; score: number; ifModified: string };
    if (Date.parse(ifModified) !== found.modified) return reply.code(412).send({ error: 'modified since' });
    Object.assign(found, { links, score, modified: now() });
    return { requirement: found };
  });

  app.post('/v2/demand-quantities', async (request) => {
    quantities.push(...(request.body as { items: unknown[] }).items);
    return { accepted: true };
  });

  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    requirements,
    quantities,
    writes: () => writes,
    setState(id, state) {
      Object.assign(requirements.get(id)!, { state, modified: now() });
    },
    malformNextList: (body) => (malformed = body),
    close: () => app.close(),
  };
}

/** The `rest` system configuration that describes this API. */
export function inHouseRequirementsSystem(url: string, token: string) {
  return {
    kind: 'rest' as const,
    url,
    token,
    displayName: 'In-house PMS',
    requirements: {
      changes: {
        path: '/v2/reqs',
        sinceParam: 'changedSince',
        sinceFormat: 'epoch-ms',
        afterIdParam: 'after',
        limitParam: 'max',
        maxPageSize: 2,
        recordsPath: 'items',
        pagination: { type: 'cursor', params: { cursor: 'page.next' } },
      },
      productParam: 'product',
      demandParam: 'demand',
      get: { path: '/v2/reqs/{id}', recordPath: 'requirement' },
      create: {
        path: '/v2/reqs',
        body: {
          requirement: { name: '$title', body: '$description', product: '$productId', links: '$demands', score: '$demandScore' },
          key: '$idempotencyKey',
        },
        recordPath: 'requirement',
      },
      link: {
        path: '/v2/reqs/{id}/links',
        body: { links: '$demands', score: '$demandScore', ifModified: '$expectedUpdatedAt' },
        recordPath: 'requirement',
        conflictStatus: 412,
      },
      signals: { path: '/v2/demand-quantities', body: { items: '$signals' } },
      record: {
        id: 'reqId',
        title: 'name',
        description: 'body',
        productId: 'product',
        status: 'state',
        demands: 'links',
        demandScore: 'score',
        updatedAt: 'modified',
      },
      terminalStatuses: ['shipped', 'wontdo'],
    },
  };
}

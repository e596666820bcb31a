import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * A small in-house product API of the kind the configurable REST connector is for: its own field
 * names (productId, title, modified as epoch milliseconds, pricing), one list endpoint per
 * pagination style, single-record reads and writes, and a choice of authentication. Knobs inject
 * the failures the connector must handle (429, malformed answers, expired tokens).
 */
export interface InHouseItem {
  productId: string;
  title: string;
  sku: string;
  modified: number;
  pricing: { net: number; cur: string };
  category: string;
  qty: number;
  state: 'draft' | 'active' | 'discontinued';
}

export interface InHouseFakeOptions {
  auth: 'oauth2' | 'basic' | 'api-key';
  items: number;
  clientId?: string;
  clientSecret?: string;
  username?: string;
  password?: string;
  apiKey?: string;
}

export interface InHouseFake {
  url: string;
  items: Map<string, InHouseItem>;
  products: Map<string, { properties: Record<string, unknown>; archived: boolean }>;
  tokensIssued(): number;
  /** Every token issued so far stops working, as when they expire. */
  expireTokens(): void;
  /** The API refuses even fresh tokens (e.g. the client lost its permission). */
  refuseAllTokens(): void;
  /** The next n API requests get 429 with Retry-After: 2. */
  rateLimitNext(n: number): void;
  /** The next API answer is JSON of the wrong shape. */
  malformNext(): void;
  requests: string[];
  close(): Promise<void>;
}

const base = Date.parse('2026-11-01T00:00:00Z');

function makeItem(index: number): InHouseItem {
  const id = `IH-${String(index).padStart(4, '0')}`;
  return {
    productId: id,
    title: `In-house product ${index}`,
    sku: `IHSKU-${index}`,
    // Several items share a timestamp, so paging must tie-break on the id.
    modified: base + Math.floor(index / 3) * 1000,
    pricing: { net: 10 + index, cur: 'EUR' },
    category: 'tools',
    qty: index,
    state: 'active',
  };
}

export async function startInHouseFake(options: InHouseFakeOptions): Promise<InHouseFake> {
  const app = Fastify({ logger: false });
  const items = new Map<string, InHouseItem>();
  for (let i = 1; i <= options.items; i++) items.set(makeItem(i).productId, makeItem(i));
  const products = new Map<string, { properties: Record<string, unknown>; archived: boolean }>();
  const validTokens = new Set<string>();
  let issued = 0;
  let refuseAll = false;
  let rateLimited = 0;
  let malformed = false;
  const requests: string[] = [];

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  // RFC 6749 section 4.4: client credentials grant, form-encoded, client authenticated in the body.
  app.post('/oauth/token', async (request, reply) => {
    const form = request.body as Record<string, string>;
    if (form.grant_type !== 'client_credentials') return reply.code(400).send({ error: 'unsupported_grant_type' });
    if (form.client_id !== options.clientId || form.client_secret !== options.clientSecret) {
      return reply.code(401).send({ error: 'invalid_client', error_description: 'Client authentication failed' });
    }
    issued += 1;
    const token = `token-${issued}`;
    validTokens.add(token);
    return { access_token: token, token_type: 'Bearer', expires_in: 3600 };
  });

  function authorized(request: FastifyRequest): boolean {
    const header = request.headers.authorization ?? '';
    if (options.auth === 'api-key') return request.headers['x-api-key'] === options.apiKey;
    if (options.auth === 'basic') return header === `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
    return !refuseAll && header.startsWith('Bearer ') && validTokens.has(header.slice(7));
  }

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.url.startsWith('/oauth/')) return;
    requests.push(`${request.method} ${request.url}`);
    if (!authorized(request)) return reply.code(401).send({ message: 'invalid or expired credentials' });
    if (rateLimited > 0) {
      rateLimited -= 1;
      return reply.code(429).header('retry-after', '2').send({ message: 'slow down' });
    }
    if (malformed) {
      malformed = false;
      return reply.code(200).send({ unexpected: true });
    }
  });

  const since = (query: Record<string, string>) => Number(query.modified_since ?? 0);
  /** Change-feed order: (modified, productId), only items modified at or after `since`. */
  const changed = (query: Record<string, string>) =>
    [...items.values()]
      .filter((item) => item.modified >= since(query))
      .sort((a, b) => a.modified - b.modified || a.productId.localeCompare(b.productId));

  app.get('/items/page', async (request) => {
    const query = request.query as Record<string, string>;
    const page = Number(query.page ?? 1);
    const size = Number(query.per_page ?? 10);
    return { items: changed(query).slice((page - 1) * size, page * size) };
  });
  app.get('/items/offset', async (request) => {
    const query = request.query as Record<string, string>;
    const offset = Number(query.offset ?? 0);
    const size = Number(query.limit ?? 10);
    return { items: changed(query).slice(offset, offset + size) };
  });
  app.get('/items/link', async (request, reply) => {
    const query = request.query as Record<string, string>;
    const position = Number(query.position ?? 0);
    const size = Number(query.limit ?? 10);
    const all = changed(query);
    if (position + size < all.length) {
      const next = new URL(
        `/items/link?position=${position + size}&limit=${size}&modified_since=${since(query)}`,
        `http://${request.headers.host}`,
      );
      void reply.header('link', `<${next.href}>; rel="next", <${next.origin}/items/link>; rel="first"`);
    }
    return all.slice(position, position + size);
  });
  app.get('/items/next', async (request) => {
    const query = request.query as Record<string, string>;
    const position = Number(query.position ?? 0);
    const size = Number(query.limit ?? 10);
    const all = changed(query);
    const next =
      position + size < all.length
        ? `http://${request.headers.host}/items/next?position=${position + size}&limit=${size}&modified_since=${since(query)}`
        : null;
    return { result: { items: all.slice(position, position + size) }, next };
  });
  /** Ordered by modification, but ties in descending id order: a cut must never split a tie. */
  app.get('/items/tied', async (request) => {
    const query = request.query as Record<string, string>;
    const offset = Number(query.offset ?? 0);
    const size = Number(query.limit ?? 10);
    const all = changed(query).sort((a, b) => a.modified - b.modified || b.productId.localeCompare(a.productId));
    return { items: all.slice(offset, offset + size) };
  });
  /** Ordered by id, not by modification: the connector must read every page and sort. */
  app.get('/items/by-id', async (request) => {
    const query = request.query as Record<string, string>;
    const page = Number(query.page ?? 1);
    const all = [...items.values()].sort((a, b) => b.productId.localeCompare(a.productId));
    return { items: all.slice((page - 1) * 10, page * 10) };
  });

  app.get('/products/count', async () => ({ count: products.size }));
  app.get('/products/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const product = products.get(id);
    if (!product) return reply.code(404).send({ message: `no product ${id}` });
    return { product: { id, ...product } };
  });
  app.put('/products/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const body = request.body as { properties?: Record<string, unknown>; archived?: boolean };
    const name = body.properties?.name;
    if (typeof name === 'string' && name.length > 100) return reply.code(422).send({ message: 'properties.name: at most 100 characters' });
    const existed = products.has(id);
    products.set(id, { properties: body.properties ?? {}, archived: body.archived ?? false });
    return reply.code(existed ? 200 : 201).send({ id });
  });

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: address,
    items,
    products,
    requests,
    tokensIssued: () => issued,
    expireTokens: () => validTokens.clear(),
    refuseAllTokens: () => {
      refuseAll = true;
    },
    rateLimitNext: (n) => {
      rateLimited = n;
    },
    malformNext: () => {
      malformed = true;
    },
    close: () => app.close(),
  };
}

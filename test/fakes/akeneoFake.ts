import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * A fake of the Akeneo PIM REST API (7 / SaaS) for product reads. Sources (github.com/akeneo/pim-api-docs):
 * - content/rest-api/authentication.md: POST /api/oauth/v1/token, Basic client_id:secret, JSON body
 *   with grant_type password or refresh_token; access_token valid 3600 s, refresh_token.
 * - content/rest-api/pagination.md: pagination_type=search_after, follow _links.next.href, limit at most
 *   100 (422 beyond).
 * - content/rest-api/filter.md: search={"updated":[{"operator":">","value":"YYYY-MM-DD hh:mm:ss"}]}, UTC.
 * - content/rest-api/limitations.md: 429 {"code":429,"message":"You have exceeded the limit of API
 *   requests per second."}, sometimes with Retry-After.
 * - swagger channels: GET /api/rest/v1/channels/{code} answers { code, locales, currencies, category_tree },
 *   404 {"code":404,"message":"Resource `x` does not exist."} for an unknown channel.
 * Products come in uuid order (search_after is a keyset on it), not by update time.
 */
export interface AkeneoFakeProduct {
  uuid: string;
  identifier: string;
  enabled: boolean;
  family: string;
  categories: string[];
  values: Record<string, Array<{ locale: string | null; scope: string | null; data: unknown }>>;
  created: string;
  updated: string;
}

export interface AkeneoFake {
  url: string;
  products: Map<string, AkeneoFakeProduct>;
  requests: string[];
  tokensIssued(): { password: number; refresh: number };
  expireAccessTokens(): void;
  /** Every token, refresh tokens included, stops working (e.g. the connection was revoked). */
  revokeEverything(): void;
  rateLimitNext(n: number, retryAfter?: string): void;
  /** Sets a product's update time, as an edit in the PIM would. */
  touch(uuid: string, at: Date): void;
  close(): Promise<void>;
}

const akeneoDate = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, '+00:00');

export function akeneoProduct(index: number, updated: Date): AkeneoFakeProduct {
  return {
    uuid: randomUUID(),
    identifier: `AK-${index}`,
    enabled: index % 10 !== 0,
    family: 'tools',
    categories: ['tools', 'outdoor'],
    values: {
      name: [
        { locale: 'en_US', scope: null, data: `Akeneo product ${index}` },
        { locale: 'fr_FR', scope: null, data: `Produit Akeneo ${index}` },
      ],
      description: [
        { locale: 'en_US', scope: 'ecommerce', data: `Web text ${index}` },
        { locale: 'en_US', scope: 'print', data: `Print text ${index}` },
      ],
      price: [
        {
          locale: null,
          scope: null,
          data: [
            { amount: `${10 + index}.50`, currency: 'EUR' },
            { amount: `${12 + index}.00`, currency: 'USD' },
          ],
        },
      ],
      stock_level: [{ locale: null, scope: null, data: String(index * 3) }],
      features: [{ locale: 'en_US', scope: null, data: 'Waterproof\nLight' }],
    },
    created: akeneoDate(updated),
    updated: akeneoDate(updated),
  };
}

export async function startAkeneoFake(options: {
  /** Channel code -> its locales (default: ecommerce with en_US). */
  channels?: Record<string, string[]>;
  clientId: string;
  secret: string;
  username: string;
  password: string;
  products: number;
}): Promise<AkeneoFake> {
  const app = Fastify({ logger: false });
  const products = new Map<string, AkeneoFakeProduct>();
  // Whole seconds, several products per second: the connector must tie-break on the uuid.
  const start = Date.parse('2026-11-01T08:00:00Z');
  for (let i = 1; i <= options.products; i++) {
    const product = akeneoProduct(i, new Date(start + Math.floor(i / 4) * 1000));
    products.set(product.uuid, product);
  }
  const requests: string[] = [];
  const access = new Set<string>();
  const refresh = new Set<string>();
  const issued = { password: 0, refresh: 0 };
  let limited = 0;
  let retryAfter: string | undefined = '1';

  app.post('/api/oauth/v1/token', async (request, reply) => {
    const basic = `Basic ${Buffer.from(`${options.clientId}:${options.secret}`).toString('base64')}`;
    if (request.headers.authorization !== basic)
      return reply
        .code(422)
        .send({ code: 422, message: 'Parameter "client_id" is missing or does not match any client, or secret is invalid' });
    const body = request.body as Record<string, string>;
    if (body.grant_type === 'password') {
      if (body.username !== options.username || body.password !== options.password)
        return reply.code(422).send({ code: 422, message: 'No user found for the given username and password' });
      issued.password += 1;
    } else if (body.grant_type === 'refresh_token') {
      if (!refresh.has(body.refresh_token ?? ''))
        return reply.code(422).send({ code: 422, message: 'Refresh token is invalid or has expired' });
      refresh.delete(body.refresh_token!);
      issued.refresh += 1;
    } else return reply.code(422).send({ code: 422, message: 'Parameter "grant_type" is missing' });
    const token = `akeneo-access-${randomUUID()}`;
    const refreshToken = `akeneo-refresh-${randomUUID()}`;
    access.add(token);
    refresh.add(refreshToken);
    return { access_token: token, expires_in: 3600, token_type: 'bearer', scope: null, refresh_token: refreshToken };
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.url.startsWith('/api/oauth/')) return;
    requests.push(`${request.method} ${request.url}`);
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Bearer ') || !access.has(header.slice(7)))
      return reply.code(401).send({ code: 401, message: 'The access token provided is invalid.' });
    if (limited > 0) {
      limited -= 1;
      if (retryAfter) void reply.header('retry-after', retryAfter);
      return reply.code(429).send({ code: 429, message: 'You have exceeded the limit of API requests per second.' });
    }
  });

  app.get('/api/rest/v1/channels/:code', async (request, reply) => {
    const { code } = request.params as { code: string };
    const locales = (options.channels ?? { ecommerce: ['en_US'] })[code];
    if (!locales) return reply.code(404).send({ code: 404, message: `Resource \`${code}\` does not exist.` });
    return { code, locales, currencies: ['EUR', 'USD'], category_tree: 'master', conversion_units: {}, labels: {} };
  });

  app.get('/api/rest/v1/products-uuid', async (request, reply) => {
    const query = request.query as Record<string, string>;
    const limit = Number(query.limit ?? 10);
    if (limit > 100) return reply.code(422).send({ code: 422, message: 'You cannot request more than 100 items.' });
    if (query.pagination_type !== 'search_after')
      return reply.code(422).send({ code: 422, message: 'This fake only pages with search_after.' });
    let search: Record<string, Array<{ operator: string; value: unknown }>>;
    try {
      search = JSON.parse(query.search ?? '{}') as typeof search;
    } catch {
      return reply.code(400).send({ code: 400, message: 'Search query parameter should be valid JSON.' });
    }
    let items = [...products.values()].sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
    for (const filter of search.updated ?? []) {
      if (filter.operator !== '>' || typeof filter.value !== 'string' || !/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(filter.value)) {
        return reply
          .code(422)
          .send({ code: 422, message: 'Filter on property "updated" expects a string with the format "yyyy-mm-dd H:i:s" as data.' });
      }
      const bound = Date.parse(`${filter.value.replace(' ', 'T')}Z`);
      items = items.filter((p) => Date.parse(p.updated) > bound);
    }
    for (const filter of search.uuid ?? []) {
      if (filter.operator !== 'IN' || !Array.isArray(filter.value))
        return reply.code(422).send({ code: 422, message: 'Filter on property "uuid" expects an array with the operator IN.' });
      const wanted = new Set(filter.value as string[]);
      items = items.filter((p) => wanted.has(p.uuid));
    }
    if (query.search_after) items = items.filter((p) => p.uuid > query.search_after!);
    const page = items.slice(0, limit);
    const self = `http://${request.headers.host}${request.url}`;
    const nextUrl = new URL(self);
    nextUrl.searchParams.set('search_after', page.at(-1)?.uuid ?? '');
    return {
      _links: { self: { href: self }, first: { href: self }, ...(items.length > limit ? { next: { href: nextUrl.href } } : {}) },
      _embedded: {
        items: page.map((p) => ({
          _links: { self: { href: `http://${request.headers.host}/api/rest/v1/products-uuid/${p.uuid}` } },
          ...p,
        })),
      },
    };
  });

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: address,
    products,
    requests,
    tokensIssued: () => ({ ...issued }),
    expireAccessTokens: () => access.clear(),
    revokeEverything: () => {
      access.clear();
      refresh.clear();
    },
    rateLimitNext: (n, after = '1') => {
      limited = n;
      retryAfter = after;
    },
    touch: (uuid, at) => {
      products.get(uuid)!.updated = akeneoDate(at);
    },
    close: () => app.close(),
  };
}

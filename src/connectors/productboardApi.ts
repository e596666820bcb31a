import { z } from 'zod';
import { RequestRejectedError } from '../shared/systemErrors';
import { HttpSystem, type RequestOptions, type SharedPacing } from './httpClient';
import type { ProductboardSystemConfig } from './productboardConfig';
import { RateLimitPacer } from './rateLimitPacer';

/**
 * Productboard REST API v2 (https://developer.productboard.com/v2.0.0/reference): the calls the
 * note sink and the requirement store share, one implementation each. Lists follow `links.next`
 * until it is absent (https://developer.productboard.com/reference/pagination).
 */

const nextLinkSchema = z
  .object({ next: z.string().min(1).nullable().optional() })
  .loose()
  .optional();

const noteSchema = z
  .object({
    id: z.string().min(1),
    fields: z
      .object({
        name: z.string().nullable().optional(),
        content: z.string().nullable().optional(),
        // Where the list filters `archived` and `processed` show up on a note [U: v2 field placement].
        archived: z.boolean().optional(),
        processed: z.boolean().optional(),
      })
      .loose()
      .optional(),
    metadata: z
      .object({
        source: z.object({ system: z.string().optional(), recordId: z.string().optional(), url: z.string().optional() }).loose().optional(),
      })
      .loose()
      .nullable()
      .optional(),
    updatedAt: z.string().optional(),
  })
  .loose();
export type ProductboardNote = z.infer<typeof noteSchema>;

const relationshipSchema = z.object({ type: z.string(), target: z.object({ id: z.string(), type: z.string() }).loose() }).loose();
export type NoteRelationship = z.infer<typeof relationshipSchema>;

const entitySchema = z
  .object({
    id: z.string().min(1),
    type: z.string(),
    fields: z
      .object({
        name: z.string().nullable().optional(),
        description: z.string().nullable().optional(),
        status: z
          .union([z.object({ id: z.string().optional(), name: z.string() }).loose(), z.string()])
          .nullable()
          .optional(),
      })
      .loose()
      .optional(),
    updatedAt: z.string().min(1),
  })
  .loose();
export type ProductboardEntity = z.infer<typeof entitySchema>;

const listOf = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), links: nextLinkSchema });
const anyAnswer = z.unknown();

export interface ProductboardConnection {
  token: string;
  config: ProductboardSystemConfig;
  /** The token's shared pacer (systems.<name>.rateLimit), on top of requestsPerSecond. */
  pacing?: SharedPacing;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function unescapeHtml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** A plain text as Productboard rich text: one paragraph per blank-line-separated block. */
export function paragraphs(text: string): string {
  return text
    .split(/\n{2,}/)
    .filter((paragraph) => paragraph.length > 0)
    .map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`)
    .join('');
}

export class ProductboardApi {
  readonly system = 'Productboard';
  private readonly http: HttpSystem;
  private readonly pacer = new RateLimitPacer(0);

  constructor(readonly connection: ProductboardConnection) {
    this.http = new HttpSystem({
      system: this.system,
      baseUrl: connection.config.url,
      token: connection.token,
      timeoutMs: connection.config.timeoutMs,
      ...connection.pacing,
    });
  }

  get config(): ProductboardSystemConfig {
    return this.connection.config;
  }

  /** Every item of a list, following links.next. */
  async listAll<T extends z.ZodType>(path: string, item: T): Promise<Array<z.output<T>>> {
    const all: Array<z.output<T>> = [];
    let next: string | undefined = path;
    while (next) {
      const page: { data: Array<z.output<T>>; links?: { next?: string | null } } = await this.send({
        method: 'GET',
        path: next,
        schema: listOf(item),
      });
      all.push(...page.data);
      next = page.links?.next ?? undefined;
    }
    return all;
  }

  /**
   * The bridge's note for a source record, archived or not. List notes hides archived notes unless
   * `archived=true` is asked for (https://developer.productboard.com/reference/listnotes, "Filtering
   * combinations"), so both are asked: an archived note must not get a twin.
   */
  async findNote(recordId: string): Promise<ProductboardNote | undefined> {
    for (const archived of ['false', 'true']) {
      const query = new URLSearchParams({
        'metadata[source][system]': this.config.sourceSystem,
        'metadata[source][recordId]': recordId,
        archived,
      });
      const notes = await this.listAll(`/v2/notes?${query.toString()}`, noteSchema);
      const match = notes.find((n) => n.metadata?.source?.recordId === recordId && n.metadata.source.system === this.config.sourceSystem);
      if (match) return match;
    }
    return undefined;
  }

  /** Every note the bridge wrote (its source system), archived ones included. */
  async bridgeNotes(): Promise<ProductboardNote[]> {
    const all: ProductboardNote[] = [];
    for (const archived of ['false', 'true']) {
      const query = new URLSearchParams({ 'metadata[source][system]': this.config.sourceSystem, archived });
      all.push(...(await this.listAll(`/v2/notes?${query.toString()}`, noteSchema)));
    }
    return all.filter((n) => n.metadata?.source?.system === this.config.sourceSystem);
  }

  async getNote(id: string): Promise<ProductboardNote | undefined> {
    const answer = await this.orNotFound(() =>
      this.send({ method: 'GET', path: `/v2/notes/${encodeURIComponent(id)}`, schema: z.object({ data: noteSchema }) }),
    );
    return answer?.data;
  }

  async createNote(note: { title: string; content: string; recordId: string; url?: string }): Promise<ProductboardNote> {
    const answer = await this.send({
      method: 'POST',
      path: '/v2/notes',
      body: {
        data: {
          type: 'textNote',
          fields: { name: note.title, content: note.content || '<p></p>' },
          metadata: { source: { system: this.config.sourceSystem, recordId: note.recordId, ...(note.url ? { url: note.url } : {}) } },
        },
      },
      schema: z.object({ data: noteSchema }),
    });
    return answer.data;
  }

  async updateNote(id: string, fields: { name: string; content: string }): Promise<void> {
    await this.send({ method: 'PATCH', path: `/v2/notes/${encodeURIComponent(id)}`, body: { data: { fields } }, schema: anyAnswer });
  }

  async relationships(noteId: string): Promise<NoteRelationship[]> {
    return this.listAll(`/v2/notes/${encodeURIComponent(noteId)}/relationships`, relationshipSchema);
  }

  /** Links a note to a product entity (an insight) (https://developer.productboard.com/reference/createnoterelationship). */
  async linkNote(noteId: string, target: { type: string; id: string }): Promise<void> {
    await this.send({
      method: 'POST',
      path: `/v2/notes/${encodeURIComponent(noteId)}/relationships`,
      body: { data: { type: 'link', target } },
      schema: anyAnswer,
    });
  }

  /** Removes a note's link to a product entity [U: path shape of "Delete relationship"]. */
  async unlinkNote(noteId: string, targetId: string): Promise<void> {
    await this.send({
      method: 'DELETE',
      path: `/v2/notes/${encodeURIComponent(noteId)}/relationships/link/${encodeURIComponent(targetId)}`,
      schema: anyAnswer,
    });
  }

  /** Attributes a note to a company; a new customer relationship replaces the old one. */
  async setCustomer(noteId: string, companyId: string): Promise<void> {
    await this.send({
      method: 'POST',
      path: `/v2/notes/${encodeURIComponent(noteId)}/relationships`,
      body: { data: { type: 'customer', target: { type: 'company', id: companyId } } },
      schema: anyAnswer,
    });
  }

  async listEntities(types: string[], filters: Record<string, string> = {}): Promise<ProductboardEntity[]> {
    const query = new URLSearchParams([...types.map((t): [string, string] => ['type[]', t]), ...Object.entries(filters)]);
    return this.listAll(`/v2/entities?${query.toString()}`, entitySchema);
  }

  async getEntity(id: string): Promise<ProductboardEntity | undefined> {
    const answer = await this.orNotFound(() =>
      this.send({ method: 'GET', path: `/v2/entities/${encodeURIComponent(id)}`, schema: z.object({ data: entitySchema }) }),
    );
    return answer?.data;
  }

  /** The entity's parent id, from its relationships (https://developer.productboard.com/v2.0.0/reference, Entities: Retrieve relationships). */
  async parentOf(id: string): Promise<string | undefined> {
    const relations = await this.listAll(`/v2/entities/${encodeURIComponent(id)}/relationships`, relationshipSchema);
    return relations.find((r) => r.type === 'parent')?.target.id;
  }

  async createEntity(type: string, fields: Record<string, unknown>, parentId: string): Promise<ProductboardEntity> {
    const answer = await this.send({
      method: 'POST',
      path: '/v2/entities',
      body: { data: { type, fields, relationships: [{ type: 'parent', target: { id: parentId } }] } },
      schema: z.object({ data: entitySchema }),
    });
    return answer.data;
  }

  async updateEntity(id: string, fields: Record<string, unknown>): Promise<void> {
    await this.send({ method: 'PATCH', path: `/v2/entities/${encodeURIComponent(id)}`, body: { data: { fields } }, schema: anyAnswer });
  }

  /** The answer, or undefined where Productboard says the thing does not exist (404). */
  async orNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof RequestRejectedError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Keeps to the per-token rate; a 429 still comes back as a rate limit with Retry-After. */
  private async send<T>(request: RequestOptions<T>): Promise<T> {
    await this.pacer.wait();
    try {
      return await this.http.call(request);
    } finally {
      this.pacer.observeFixedRate(this.config.requestsPerSecond);
    }
  }
}

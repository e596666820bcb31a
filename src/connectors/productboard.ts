import { z } from 'zod';
import type { DemandNote, DemandNoteOutcome, DemandNoteSink } from './demandConnectors';
import { RequestRejectedError } from '../shared/systemErrors';
import { HttpSystem, type RequestOptions, type SharedPacing } from './httpClient';
import type { ProductboardSystemConfig } from './productboardConfig';
import { RateLimitPacer } from './rateLimitPacer';

/**
 * Productboard notes through REST API v2 (https://developer.productboard.com/v2.0.0/reference).
 * There is no upsert: a note is looked up by metadata[source][recordId] before it is created, so
 * writing the same demand again finds the first note; links are added only where missing.
 */

const noteSchema = z
  .object({
    id: z.string().min(1),
    metadata: z
      .object({ source: z.object({ system: z.string().optional(), recordId: z.string().optional() }).loose().optional() })
      .loose()
      .optional(),
  })
  .loose();
const noteListSchema = z.object({
  data: z.array(noteSchema),
  links: z
    .object({ next: z.string().min(1).nullable().optional() })
    .loose()
    .optional(),
});
const noteCreatedSchema = z.object({ data: noteSchema });
const relationshipSchema = z.object({ type: z.string(), target: z.object({ id: z.string(), type: z.string() }) });
const relationshipListSchema = z.object({
  data: z.array(relationshipSchema),
  links: z
    .object({ next: z.string().min(1).nullable().optional() })
    .loose()
    .optional(),
});
const anyAnswer = z.unknown();
const entityListSchema = z.object({
  data: z.array(
    z
      .object({ id: z.string().min(1), type: z.string(), fields: z.object({ name: z.string().nullable().optional() }).loose().optional() })
      .loose(),
  ),
  links: z
    .object({ next: z.string().min(1).nullable().optional() })
    .loose()
    .optional(),
});

const nameKey = (name: string) => name.trim().toLowerCase();

export interface ProductboardConnection {
  token: string;
  config: ProductboardSystemConfig;
  /** The token's shared pacer (systems.<name>.rateLimit), on top of requestsPerSecond. */
  pacing?: SharedPacing;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export class ProductboardNotes implements DemandNoteSink {
  readonly system = 'Productboard';
  readonly maxBatch = 25;
  private readonly http: HttpSystem;
  private readonly pacer: RateLimitPacer;
  private readonly names = new Map<string, { readAt: number; ids: Map<string, string[]> }>();

  constructor(private readonly connection: ProductboardConnection) {
    this.http = new HttpSystem({
      system: this.system,
      baseUrl: connection.config.url,
      token: connection.token,
      timeoutMs: connection.config.timeoutMs,
      ...connection.pacing,
    });
    this.pacer = new RateLimitPacer(0);
  }

  async recordDemandNotes(notes: DemandNote[]): Promise<DemandNoteOutcome[]> {
    const outcomes: DemandNoteOutcome[] = [];
    for (const note of notes) {
      try {
        outcomes.push(await this.recordOne(note));
      } catch (error) {
        // The tool refusing one note (e.g. a feature that no longer exists) must not hold back the others.
        if (!(error instanceof RequestRejectedError)) throw error;
        outcomes.push({ demandId: note.demandId, created: false, error: error.message });
      }
    }
    return outcomes;
  }

  /** Lists the entities of the kind once (cached for nameCacheMs) and picks the names asked for. */
  async idsByName(kind: 'entity' | 'company', names: string[]): Promise<Map<string, string[]>> {
    const type = kind === 'company' ? 'company' : this.connection.config.entityType;
    let cached = this.names.get(type);
    if (!cached || Date.now() - cached.readAt >= this.connection.config.nameCacheMs) {
      const ids = new Map<string, string[]>();
      let path: string | undefined = `/v2/entities?${new URLSearchParams({ 'type[]': type }).toString()}`;
      while (path) {
        const page: z.infer<typeof entityListSchema> = await this.send({ method: 'GET', path, schema: entityListSchema });
        for (const entity of page.data) {
          const name = entity.fields?.name;
          if (name) ids.set(nameKey(name), [...(ids.get(nameKey(name)) ?? []), entity.id]);
        }
        path = page.links?.next ?? undefined;
      }
      this.names.set(type, (cached = { readAt: Date.now(), ids }));
    }
    return new Map(names.map((name) => [name, cached.ids.get(nameKey(name)) ?? []]));
  }

  private async recordOne(note: DemandNote): Promise<DemandNoteOutcome> {
    const existing = await this.findNote(note.demandId);
    const noteId = existing ?? (await this.createNote(note));
    await this.linkNote(noteId, note);
    return { demandId: note.demandId, noteId, created: existing === undefined };
  }

  /** The bridge's note for this demand, by its source system and record id. */
  private async findNote(demandId: string): Promise<string | undefined> {
    let path: string | undefined = `/v2/notes?${new URLSearchParams({
      'metadata[source][system]': this.connection.config.sourceSystem,
      'metadata[source][recordId]': demandId,
    }).toString()}`;
    while (path) {
      const page: z.infer<typeof noteListSchema> = await this.send({ method: 'GET', path, schema: noteListSchema });
      const match = page.data.find(
        (n) => n.metadata?.source?.recordId === demandId && n.metadata.source.system === this.connection.config.sourceSystem,
      );
      if (match) return match.id;
      path = page.links?.next ?? undefined;
    }
    return undefined;
  }

  private async createNote(note: DemandNote): Promise<string> {
    const content = note.description
      .split(/\n{2,}/)
      .map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`)
      .join('');
    const answer = await this.send({
      method: 'POST',
      path: '/v2/notes',
      body: {
        data: {
          type: 'textNote',
          fields: { name: note.title, content: content || '<p></p>' },
          metadata: {
            source: {
              system: this.connection.config.sourceSystem,
              recordId: note.demandId,
              ...(note.sourceUrl ? { url: note.sourceUrl } : {}),
            },
          },
        },
      },
      schema: noteCreatedSchema,
    });
    return answer.data.id;
  }

  /** Adds the links the note lacks; the customer link is set only when it differs (setting replaces it). */
  private async linkNote(noteId: string, note: DemandNote): Promise<void> {
    const current = await this.relationships(noteId);
    const linked = new Set(current.filter((r) => r.type === 'link').map((r) => r.target.id));
    for (const entityId of note.entityIds) {
      if (linked.has(entityId)) continue;
      await this.send({
        method: 'POST',
        path: `/v2/notes/${encodeURIComponent(noteId)}/relationships`,
        body: { data: { type: 'link', target: { type: this.connection.config.entityType, id: entityId } } },
        schema: anyAnswer,
      });
    }
    const customer = current.find((r) => r.type === 'customer');
    if (note.companyId && customer?.target.id !== note.companyId) {
      await this.send({
        method: 'POST',
        path: `/v2/notes/${encodeURIComponent(noteId)}/relationships`,
        body: { data: { type: 'customer', target: { type: 'company', id: note.companyId } } },
        schema: anyAnswer,
      });
    }
  }

  private async relationships(noteId: string): Promise<Array<z.infer<typeof relationshipSchema>>> {
    const all: Array<z.infer<typeof relationshipSchema>> = [];
    let path: string | undefined = `/v2/notes/${encodeURIComponent(noteId)}/relationships`;
    while (path) {
      const page: z.infer<typeof relationshipListSchema> = await this.send({ method: 'GET', path, schema: relationshipListSchema });
      all.push(...page.data);
      path = page.links?.next ?? undefined;
    }
    return all;
  }

  /** Keeps to the per-token rate; a 429 still comes back as a rate limit with Retry-After. */
  private async send<T>(request: RequestOptions<T>): Promise<T> {
    await this.pacer.wait();
    try {
      return await this.http.call(request);
    } finally {
      this.pacer.observeFixedRate(this.connection.config.requestsPerSecond);
    }
  }
}

import { z } from 'zod';
import type { DemandNote, DemandNoteOutcome, DemandNoteSink } from './demandConnectors';
import { RequestRejectedError } from '../shared/systemErrors';
import { ProductboardApi, paragraphs, type ProductboardConnection } from './productboardApi';

/**
 * Productboard notes through REST API v2 (https://developer.productboard.com/v2.0.0/reference).
 * There is no upsert: a note is looked up by metadata[source][recordId] (archived notes included)
 * before it is created, so writing the same demand again finds the first note; links are added
 * only where missing.
 */

const namedEntitySchema = z
  .object({ id: z.string().min(1), type: z.string(), fields: z.object({ name: z.string().nullable().optional() }).loose().optional() })
  .loose();

const nameKey = (name: string) => name.trim().toLowerCase();

export class ProductboardNotes implements DemandNoteSink {
  readonly system = 'Productboard';
  readonly maxBatch = 25;
  private readonly api: ProductboardApi;
  private readonly names = new Map<string, { readAt: number; ids: Map<string, string[]> }>();

  constructor(connection: ProductboardConnection | ProductboardApi) {
    this.api = connection instanceof ProductboardApi ? connection : new ProductboardApi(connection);
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
    const type = kind === 'company' ? 'company' : this.api.config.entityType;
    let cached = this.names.get(type);
    if (!cached || Date.now() - cached.readAt >= this.api.config.nameCacheMs) {
      const ids = new Map<string, string[]>();
      const query = new URLSearchParams({ 'type[]': type }).toString();
      for (const entity of await this.api.listAll(`/v2/entities?${query}`, namedEntitySchema)) {
        const name = entity.fields?.name;
        if (name) ids.set(nameKey(name), [...(ids.get(nameKey(name)) ?? []), entity.id]);
      }
      this.names.set(type, (cached = { readAt: Date.now(), ids }));
    }
    return new Map(names.map((name) => [name, cached.ids.get(nameKey(name)) ?? []]));
  }

  private async recordOne(note: DemandNote): Promise<DemandNoteOutcome> {
    const existing = await this.api.findNote(note.demandId);
    const noteId =
      existing?.id ??
      (
        await this.api.createNote({
          title: note.title,
          content: paragraphs(note.description),
          recordId: note.demandId,
          ...(note.sourceUrl ? { url: note.sourceUrl } : {}),
        })
      ).id;
    await this.linkNote(noteId, note);
    return { demandId: note.demandId, noteId, created: existing === undefined };
  }

  /** Adds the links the note lacks; the customer link is set only when it differs (setting replaces it). */
  private async linkNote(noteId: string, note: DemandNote): Promise<void> {
    const current = await this.api.relationships(noteId);
    const linked = new Set(current.filter((r) => r.type === 'link').map((r) => r.target.id));
    for (const entityId of note.entityIds) {
      if (!linked.has(entityId)) await this.api.linkNote(noteId, { type: this.api.config.entityType, id: entityId });
    }
    const customer = current.find((r) => r.type === 'customer');
    if (note.companyId && customer?.target.id !== note.companyId) await this.api.setCustomer(noteId, note.companyId);
  }
}

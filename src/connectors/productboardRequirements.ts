import { z } from 'zod';
import type { DemandLink, LinkState, Requirement } from '../domain/requirement';
import { isAfterCursor, byFeedPosition, positionOf, type ChangeCursor } from '../shared/changeCursor';
import { ConflictError, RequestRejectedError } from '../shared/systemErrors';
import type { ChangePage } from './changeFeed';
import type { NewRequirement, RequirementStore } from './demandConnectors';
import { ProductboardNotes } from './productboard';
import {
  ProductboardApi,
  escapeHtml,
  paragraphs,
  unescapeHtml,
  type NoteRelationship,
  type ProductboardConnection,
  type ProductboardEntity,
  type ProductboardNote,
} from './productboardApi';

/**
 * Productboard as a demand sync's requirement store (REST API v2,
 * https://developer.productboard.com/v2.0.0/reference):
 * - a requirement is a feature (or subfeature, `requirements.entityType`);
 * - each demand is a note whose metadata.source names the bridge and the CRM record, linked to the
 *   feature (an insight), attributed to the company carrying the CRM account's name;
 * - a suggested link (the matcher's middle tier) leaves the note unlinked and unprocessed in the
 *   insights inbox, naming the feature: the product manager links it (confirmed) or processes it
 *   without that link (rejected), and the bridge never changes that decision;
 * - with `createFeatures: false`, a demand nothing matches stays an unlinked note in the inbox; the
 *   demand shows it as requirement `note:<id>` with the configured inbox status until a product
 *   manager links it to a feature.
 * What the bridge needs back from a note (who asked, what they are worth, how it was linked) is in
 * a last `crm-pms-bridge:` line of its content; a product manager's edit of it is rewritten.
 */

const notePrefix = 'note:';
const markerPattern = /<p><code>crm-pms-bridge:(.*?)<\/code><\/p>/s;

const noteFactsSchema = z.object({
  productId: z.string(),
  kind: z.string(),
  priority: z.enum(['low', 'medium', 'high', 'critical']),
  accountId: z.string(),
  accountName: z.string(),
  segment: z.string(),
  accountValue: z.number(),
  matchReason: z.string().nullable(),
  matchScore: z.number().nullable().default(null),
  linkedAt: z.string(),
  contact: z.record(z.string(), z.string()).optional(),
  /** The feature the bridge suggested and a product manager is to confirm or reject. */
  suggestedFor: z.string().optional(),
});
type NoteFacts = z.infer<typeof noteFactsSchema>;

/** One of the bridge's notes with what it says and what it is linked to. */
interface BridgeNote {
  note: ProductboardNote;
  demandId: string;
  facts: NoteFacts | undefined;
  relationships: NoteRelationship[];
}

const plainText = (html: string | null | undefined) =>
  unescapeHtml(
    (html ?? '')
      .replace(/<\/p>\s*<p>/g, '\n\n')
      .replace(/<[^>]+>/g, '')
      .trim(),
  );

/** The note's human part: the demand, who asked, and the suggestion a product manager is to decide. */
function noteContent(description: string, facts: NoteFacts, suggestedName?: string): string {
  const who = `Asked by ${facts.accountName} (${facts.segment}, annual value ${facts.accountValue}) · priority ${facts.priority} · ${facts.kind}`;
  const suggestion =
    facts.suggestedFor !== undefined
      ? `<p>${escapeHtml(
          `Suggested feature: ${suggestedName ?? facts.suggestedFor}${facts.matchScore !== null ? ` (match ${facts.matchScore})` : ''}. Link this note to it to confirm; mark it processed without that link to reject.`,
        )}</p>`
      : '';
  return `${paragraphs(description)}<p>${escapeHtml(who)}</p>${suggestion}<p><code>crm-pms-bridge:${escapeHtml(JSON.stringify(facts))}</code></p>`;
}

function factsOf(note: ProductboardNote): NoteFacts | undefined {
  const match = markerPattern.exec(note.fields?.content ?? '');
  if (!match) return undefined;
  try {
    const parsed = noteFactsSchema.safeParse(JSON.parse(unescapeHtml(match[1]!)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The demand description as the note holds it: the content before the bridge's own lines. */
function descriptionOf(note: ProductboardNote): string {
  const content = note.fields?.content ?? '';
  const ownStart = content.search(/<p>Asked by /);
  return plainText(ownStart >= 0 ? content.slice(0, ownStart) : content);
}

export class ProductboardRequirements implements RequirementStore {
  readonly system = 'Productboard';
  private readonly api: ProductboardApi;
  private readonly companies: ProductboardNotes;
  /** Feature id -> the PMS product it was read or created for (a feature's parent says it otherwise). */
  private readonly productOf = new Map<string, string>();

  constructor(connection: ProductboardConnection) {
    this.api = new ProductboardApi(connection);
    this.companies = new ProductboardNotes(this.api);
  }

  private get settings() {
    return this.api.config.requirements;
  }

  /** Productboard keeps no SKUs: a SKU the CRM does not know is rejected, not waited for. */
  productIdsBySku(): Promise<Map<string, string>> {
    return Promise.resolve(new Map<string, string>());
  }

  async findByDemand(demandId: string): Promise<Requirement | undefined> {
    const note = await this.api.findNote(demandId);
    if (!note) return undefined;
    const relationships = await this.api.relationships(note.id);
    const linked = relationships.find((r) => r.type === 'link' && r.target.type === this.settings.entityType);
    if (linked) return this.get(linked.target.id);
    const facts = factsOf(note);
    if (facts?.suggestedFor) {
      const suggested = await this.get(facts.suggestedFor);
      if (suggested) return suggested;
    }
    // A note the bridge made while it may not create features waits in the inbox; with
    // createFeatures a lone note is a create cut short, which the next create finishes.
    return this.settings.createFeatures || !facts ? undefined : this.inboxRequirement({ note, demandId, facts, relationships });
  }

  async get(id: string): Promise<Requirement | undefined> {
    if (id.startsWith(notePrefix)) {
      const note = await this.api.getNote(id.slice(notePrefix.length));
      const facts = note ? factsOf(note) : undefined;
      if (!note || !facts) return undefined;
      const demandId = note.metadata?.source?.recordId ?? '';
      return this.inboxRequirement({ note, demandId, facts, relationships: await this.api.relationships(note.id) });
    }
    const entity = await this.api.getEntity(id);
    if (!entity || entity.type !== this.settings.entityType) return undefined;
    let productId = this.productOf.get(id);
    if (productId === undefined) {
      const parent = await this.api.parentOf(id);
      productId = Object.entries(this.settings.parentByProduct).find(([, parentId]) => parentId === parent)?.[0] ?? '';
    }
    return this.requirementOf(entity, productId, await this.readBridgeNotes());
  }

  async listForProduct(productId: string): Promise<Requirement[]> {
    const parent = this.settings.parentByProduct[productId] ?? this.settings.defaultParent;
    const entities = await this.api.listEntities([this.settings.entityType], parent ? { 'parent[id]': parent } : {});
    const notes = await this.readBridgeNotes();
    return entities.map((entity) => {
      this.productOf.set(entity.id, productId);
      return this.requirementOf(entity, productId, notes);
    });
  }

  async create(requirement: NewRequirement): Promise<Requirement> {
    const first = requirement.demands[0];
    if (!first) throw new RequestRejectedError(this.system, 400, 'a new requirement needs the demand that asks for it');
    const note = await this.writeNote(first, requirement.productId, requirement.description, undefined);
    if (!this.settings.createFeatures) {
      const facts = factsOf(note.note)!;
      return this.inboxRequirement({ ...note, facts });
    }
    const parent = this.settings.parentByProduct[requirement.productId] ?? this.settings.defaultParent;
    if (!parent)
      throw new RequestRejectedError(
        this.system,
        400,
        `Productboard has no place for a feature of product ${requirement.productId}: name its component in systems.<productboard>.requirements.parentByProduct or set requirements.defaultParent`,
      );
    // A create cut short (feature made, link not yet) is finished, not repeated: the feature says whose demand made it.
    const marker = `Created by crm-pms-bridge from CRM demand ${first.demandId}.`;
    const existing = (await this.api.listEntities([this.settings.entityType], { 'parent[id]': parent })).find((entity) =>
      (entity.fields?.description ?? '').includes(escapeHtml(marker)),
    );
    const feature =
      existing ??
      (await this.refusalNaming(
        () =>
          this.api.createEntity(
            this.settings.entityType,
            { name: requirement.title, description: `${paragraphs(requirement.description)}<p>${escapeHtml(marker)}</p>` },
            parent,
          ),
        `requirements.parentByProduct / defaultParent (${parent})`,
      ));
    this.productOf.set(feature.id, requirement.productId);
    if (!note.relationships.some((r) => r.type === 'link' && r.target.id === feature.id))
      await this.api.linkNote(note.note.id, { type: this.settings.entityType, id: feature.id });
    await this.writeScore(feature.id, requirement.demandScore);
    return (await this.get(feature.id)) ?? this.requirementOf(feature, requirement.productId, []);
  }

  async replaceLinks(id: string, demands: DemandLink[], demandScore: number, expectedUpdatedAt: string): Promise<Requirement> {
    const current = await this.get(id);
    if (!current) throw new RequestRejectedError(this.system, 404, `Productboard has no ${this.settings.entityType} ${id} any more`);
    if (current.updatedAt !== expectedUpdatedAt)
      throw new ConflictError(this.system, `Productboard ${this.settings.entityType} ${id} changed since it was read`);
    if (id.startsWith(notePrefix)) {
      for (const link of demands) await this.writeNote(link, current.productId, current.description, undefined);
      return (await this.get(id))!;
    }
    const before = new Map(current.demands.map((link) => [link.demandId, link]));
    for (const link of demands) {
      const was = before.get(link.demandId);
      // A product manager's decision (or a suggestion awaiting it) stays as it is.
      const decided = was && was.linkState !== 'linked';
      const state: LinkState = decided ? was.linkState : link.linkState;
      const note = await this.writeNote(
        link,
        current.productId,
        undefined,
        state === 'suggested' ? { id, name: current.title } : undefined,
      );
      if (decided || state === 'suggested') continue;
      const links = note.relationships.filter((r) => r.type === 'link' && r.target.type === this.settings.entityType);
      // A note a product manager moved to another feature is theirs: it is not pulled back.
      if (links.length > 0) continue;
      await this.api.linkNote(note.note.id, { type: this.settings.entityType, id });
    }
    const kept = new Set(demands.map((link) => link.demandId));
    for (const link of current.demands) {
      if (kept.has(link.demandId) || link.linkState !== 'linked') continue;
      const note = await this.api.findNote(link.demandId);
      if (note) await this.api.unlinkNote(note.id, id);
    }
    if (demandScore !== current.demandScore) await this.writeScore(id, demandScore);
    return (await this.get(id))!;
  }

  /** Productboard has no per-product demand quantities: order signals have no place there (docs/connectors/productboard.md). */
  replaceOrderSignals(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Requirements changed after the cursor, by (updatedAt, id). List entities offers no
   * updated-since filter, so every feature is listed and the cursor applied here.
   */
  async listChanges(cursor: ChangeCursor | null, limit: number): Promise<ChangePage<Requirement>> {
    const changed = (await this.api.listEntities([this.settings.entityType])).filter((e) => isAfterCursor(e, cursor)).sort(byFeedPosition);
    const page = changed.slice(0, limit);
    const notes = page.length > 0 ? await this.readBridgeNotes() : [];
    const records = page.map((entity) => this.requirementOf(entity, this.productOf.get(entity.id) ?? '', notes));
    const last = page.at(-1);
    return {
      records,
      nextCursor: last ? positionOf(last) : null,
      hasMore: changed.length > limit,
      remaining: changed.length - page.length,
    };
  }

  private requirementOf(entity: ProductboardEntity, productId: string, notes: BridgeNote[]): Requirement {
    const status = entity.fields?.status;
    // The CRM takes no empty status: a feature without one (not seen in Productboard, where every feature has one) says so.
    const statusName = (typeof status === 'string' ? status : status?.name) || 'No status';
    // In the order they were linked, as the bridge appends them.
    const demands = notes
      .flatMap((note) => {
        const state = this.stateOn(note, entity.id);
        return state && note.facts ? [this.linkOf(note, note.facts, state)] : [];
      })
      .sort((a, b) => (a.linkedAt === b.linkedAt ? (a.demandId < b.demandId ? -1 : 1) : a.linkedAt < b.linkedAt ? -1 : 1));
    return {
      id: entity.id,
      title: entity.fields?.name ?? '',
      description: plainText(entity.fields?.description),
      productId,
      status: statusName,
      demands,
      demandScore: this.scoreOf(entity),
      updatedAt: entity.updatedAt,
      terminal: this.settings.terminalStatuses.some((s) => s.toLowerCase() === statusName.toLowerCase()),
    };
  }

  /** How a note stands toward a feature: linked by the bridge, suggested, or decided by a product manager. */
  private stateOn(note: BridgeNote, featureId: string): LinkState | undefined {
    const linkedHere = note.relationships.some((r) => r.type === 'link' && r.target.id === featureId);
    if (note.facts?.suggestedFor !== featureId) return linkedHere ? 'linked' : undefined;
    if (linkedHere) return 'confirmed';
    const decided =
      note.note.fields?.processed === true || note.note.fields?.archived === true || note.relationships.some((r) => r.type === 'link');
    return decided ? 'rejected' : 'suggested';
  }

  private linkOf(note: BridgeNote, facts: NoteFacts, linkState: LinkState): DemandLink {
    return {
      demandId: note.demandId,
      title: note.note.fields?.name ?? '',
      kind: facts.kind,
      priority: facts.priority,
      accountId: facts.accountId,
      accountName: facts.accountName,
      segment: facts.segment,
      accountValue: facts.accountValue,
      matchReason: facts.matchReason,
      linkedAt: facts.linkedAt,
      ...(facts.contact ? { contact: facts.contact } : {}),
      matchScore: facts.matchScore,
      linkState,
    };
  }

  private inboxRequirement(note: BridgeNote & { facts: NoteFacts }): Requirement {
    return {
      id: `${notePrefix}${note.note.id}`,
      title: note.note.fields?.name ?? '',
      description: descriptionOf(note.note),
      productId: note.facts.productId,
      status: this.settings.inboxStatus,
      demands: [this.linkOf(note, note.facts, 'linked')],
      demandScore: 0,
      updatedAt: note.note.updatedAt ?? note.facts.linkedAt,
      terminal: false,
    };
  }

  private scoreOf(entity: ProductboardEntity): number {
    const field = this.settings.demandScoreField;
    const value = field ? entity.fields?.[field] : undefined;
    return typeof value === 'number' ? value : 0;
  }

  private async writeScore(featureId: string, score: number): Promise<void> {
    const field = this.settings.demandScoreField;
    if (!field) return;
    await this.refusalNaming(() => this.api.updateEntity(featureId, { [field]: score }), `requirements.demandScoreField (${field})`);
  }

  /**
   * The demand's note, found by its source record id (archived included) or created, its content
   * brought up to date, attributed to the company named like the CRM account.
   */
  private async writeNote(
    link: DemandLink,
    productId: string,
    description: string | undefined,
    suggestion: { id: string; name: string } | undefined,
  ): Promise<BridgeNote> {
    const existing = await this.api.findNote(link.demandId);
    const old = existing ? factsOf(existing) : undefined;
    const facts: NoteFacts = {
      productId,
      kind: link.kind,
      priority: link.priority,
      accountId: link.accountId,
      accountName: link.accountName,
      segment: link.segment,
      accountValue: link.accountValue,
      matchReason: link.matchReason,
      matchScore: link.matchScore,
      linkedAt: link.linkedAt,
      ...(link.contact ? { contact: link.contact } : {}),
      ...(suggestion ? { suggestedFor: suggestion.id } : old?.suggestedFor ? { suggestedFor: old.suggestedFor } : {}),
    };
    const text = description ?? (existing ? descriptionOf(existing) : '');
    const content = noteContent(text, facts, suggestion?.name);
    let note: ProductboardNote;
    if (!existing) note = await this.api.createNote({ title: link.title, content, recordId: link.demandId });
    else {
      note = existing;
      if (existing.fields?.name !== link.title || JSON.stringify(old) !== JSON.stringify(facts)) {
        await this.api.updateNote(existing.id, { name: link.title, content });
        note = { ...existing, fields: { ...existing.fields, name: link.title, content } };
      }
    }
    const relationships = existing ? await this.api.relationships(note.id) : [];
    const companyId = (await this.companies.idsByName('company', [link.accountName])).get(link.accountName) ?? [];
    const customer = relationships.find((r) => r.type === 'customer');
    if (companyId.length === 1 && customer?.target.id !== companyId[0]) await this.api.setCustomer(note.id, companyId[0]!);
    return { note, demandId: link.demandId, facts: factsOf(note), relationships };
  }

  /** Every note the bridge wrote, with its relationships. */
  private async readBridgeNotes(): Promise<BridgeNote[]> {
    const notes = await this.api.bridgeNotes();
    const read: BridgeNote[] = [];
    for (const note of notes) {
      read.push({
        note,
        demandId: note.metadata?.source?.recordId ?? '',
        facts: factsOf(note),
        relationships: await this.api.relationships(note.id),
      });
    }
    return read;
  }

  /** A refusal that comes from the configuration names the setting to fix. */
  private async refusalNaming<T>(call: () => Promise<T>, setting: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof RequestRejectedError && (error.status === 404 || error.status === 422 || error.status === 400))
        throw new RequestRejectedError(this.system, error.status, `${error.message}. Check systems.<productboard>.${setting}.`);
      throw error;
    }
  }
}

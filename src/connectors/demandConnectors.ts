import type { ContactField, CrmAccount, CrmContact } from '../domain/crmDemand';
import type { DemandMatcher } from '../domain/demandMatcher';
import type { PlacementTiers } from '../domain/demandPlacement';
import type { ScoringConfig } from '../domain/demandScore';
import type { DemandLink, Requirement } from '../domain/requirement';
import type { ChangeCursor } from '../shared/changeCursor';
import type { ChangePage, FeedRecord } from './changeFeed';

/** Where customer demands and orders come from (the CRM side). */
export interface DemandSource {
  readonly system: string;
  /** How long the demand and order feeds take to settle (as ProductSourceCapabilities.settleMs); 0 when consistent at once. */
  readonly settleMs: number;
  listDemandChanges(cursor: ChangeCursor | null, limit: number): Promise<ChangePage<FeedRecord>>;
  listOrderChanges(cursor: ChangeCursor | null, limit: number): Promise<ChangePage<FeedRecord>>;
  readDemands(ids: string[]): Promise<FeedRecord[]>;
  readAccounts(ids: string[]): Promise<CrmAccount[]>;
  readContacts(ids: string[]): Promise<CrmContact[]>;
  /**
   * PMS product id per SKU, through the CRM product records product sync keeps (each knows its
   * PMS id). A SKU the CRM does not know is absent from the map.
   */
  resolveSkus(skus: string[]): Promise<Map<string, string>>;
}

export interface DemandLinkUpdate {
  id: string;
  pmsRequirementId: string | null;
  pmsStatus: string | null;
}

/** Writes the PMS link and status onto CRM demands; never touches the CRM's own fields. */
export interface DemandLinkSink {
  readonly system: string;
  /** Most link updates one request may carry; the activity writes in batches of this size. */
  readonly maxLinkBatch: number;
  updateDemandLinks(updates: DemandLinkUpdate[]): Promise<Array<{ id: string; found: boolean; changed: boolean }>>;
}

export interface NewRequirement {
  title: string;
  description: string;
  productId: string;
  demands: DemandLink[];
  demandScore: number;
  /** Makes a retried create return the first one instead of a duplicate. */
  idempotencyKey: string;
  /** The earlier, terminal requirement this one continues. */
  refersTo?: string;
}

export interface DemandSignalInput {
  productId: string;
  period: string;
  orderId: string;
  quantity: number;
}

/** Requirements and demand signals in the PMS. */
export interface RequirementStore {
  readonly system: string;
  /** PMS product id per SKU, for the live products that have one of these SKUs. */
  productIdsBySku(skus: string[]): Promise<Map<string, string>>;
  findByDemand(demandId: string): Promise<Requirement | undefined>;
  get(id: string): Promise<Requirement | undefined>;
  listForProduct(productId: string): Promise<Requirement[]>;
  create(requirement: NewRequirement): Promise<Requirement>;
  /**
   * Replaces the requirement's links, only if it is still as it was at `expectedUpdatedAt`;
   * otherwise throws ConflictError (someone, e.g. a product manager, changed it meanwhile).
   */
  replaceLinks(id: string, demands: DemandLink[], demandScore: number, expectedUpdatedAt: string): Promise<Requirement>;
  /**
   * Sets the quantities of whole orders: every contribution of each order named in the batch is
   * replaced, so an edited order neither double-counts nor keeps a product it no longer has.
   */
  replaceOrderSignals(inputs: DemandSignalInput[]): Promise<void>;
  listChanges(cursor: ChangeCursor | null, limit: number): Promise<ChangePage<Requirement>>;
}

/** One CRM demand as a note in a product tool (e.g. Productboard), evidence for what it asks. */
export interface DemandNote {
  /** The CRM demand id: the note's source record id, which makes writing it again find it. */
  demandId: string;
  title: string;
  description: string;
  /** Link back to the demand in the CRM, if it has a web page. */
  sourceUrl?: string;
  /** The tool's company the note is attributed to. */
  companyId?: string;
  /** The tool's features (or components) the note is evidence for. */
  entityIds: string[];
}

export interface DemandNoteOutcome {
  demandId: string;
  noteId?: string;
  created: boolean;
  /** Set when the tool refused this note or one of its links. */
  error?: string;
}

/** Where demands go as notes. No native upsert there: found by source record id, else created. */
export interface DemandNoteSink {
  readonly system: string;
  /** Most notes one call should carry (each costs a few requests). */
  readonly maxBatch: number;
  recordDemandNotes(notes: DemandNote[]): Promise<DemandNoteOutcome[]>;
  /**
   * The ids of the tool's entities (of the kind notes link to) or companies carrying each name, for
   * configuration that names them rather than giving ids; matched without regard to case.
   */
  idsByName(kind: 'entity' | 'company', names: string[]): Promise<Map<string, string[]>>;
}

/** A thing in the tool, by its id or by its name (looked up in the tool). */
export type ToolReference = string | { name: string };

/** Where a demand integration also writes each demand as a note (e.g. Productboard), from configuration. */
export interface DemandNotesTarget {
  sink: DemandNoteSink;
  /** The tool's feature (or component) for a PMS product id; a product not named gets a note without link. */
  entityByProduct: Record<string, ToolReference>;
  /** The tool's company for a CRM account id. */
  companyByAccount: Record<string, ToolReference>;
}

/** What one demand integration's activities talk to, from configuration. */
export interface DemandIntegration {
  crm: DemandSource & DemandLinkSink;
  pms: RequirementStore;
  /** Scores a demand against a product's requirements. */
  matcher: DemandMatcher;
  /** Where scores link, suggest or create (the matcher configuration's autoLinkAt, suggestAt, linkToTerminal). */
  placement: PlacementTiers;
  scoring: ScoringConfig;
  /** Contact fields that may leave the CRM with a demand; none unless configured. */
  contactFields: readonly ContactField[];
  /** Where each mapped demand is also written as a note (e.g. Productboard); none unless configured. */
  notes?: DemandNotesTarget;
}

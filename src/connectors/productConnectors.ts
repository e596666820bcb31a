import type { FieldLimits } from '../domain/fieldLimits';
import type { CrmProperties, FieldMapping } from '../domain/fieldMapping';
import type { RawPmsProduct } from '../domain/pmsProduct';
import type { ChangeCursor } from '../shared/changeCursor';
import type { ChangePage } from './changeFeed';

export type ProductPage = ChangePage<RawPmsProduct>;

/** What a product source can do; the activities size their reads from it. */
export interface ProductSourceCapabilities {
  /** Most records one listChanged call returns; the activity asks for no more. */
  maxPageSize: number;
  /**
   * True when listChanged honours the cursor (only what changed since it). False: every call
   * reads the whole catalog, which the diff makes correct but slow.
   */
  incremental: boolean;
  /** True when deleted products appear in the feed (deleted: true), which mirror mode needs. */
  reportsDeletes: boolean;
  /**
   * How long the source's change feed takes to settle: changes newer than this are left for the
   * next read (see settledPage in changeFeed.ts). 0 when the feed is consistent at once.
   */
  settleMs: number;
}

/** Where products come from (the PMS side). */
export interface ProductSource {
  readonly system: string;
  readonly capabilities: ProductSourceCapabilities;
  /** Products changed strictly after the cursor (all of them when it is null), oldest first. */
  listChanged(cursor: ChangeCursor | null, limit: number): Promise<ProductPage>;
  /** The current products with these ids (deleted ones included, flagged); unknown ids are absent. */
  getByIds(ids: string[]): Promise<RawPmsProduct[]>;
}

export interface CrmProductInput {
  externalId: string;
  properties: CrmProperties;
  archived?: boolean;
}

export interface CrmProductRecord {
  externalId: string;
  properties: CrmProperties;
  archived: boolean;
}

export interface UpsertResult {
  externalId: string;
  created: boolean;
  /** Set when the system refused this record inside an otherwise accepted batch (e.g. HubSpot 207). */
  error?: string;
  /**
   * The record as the system stored it, when its write answer says (HubSpot's batch upsert and the
   * sandbox do): the write is then verified from its own answer, without reading it back.
   */
  stored?: Omit<CrmProductRecord, 'externalId'>;
}

export interface ProductSinkCapabilities {
  /** Most records one write request may carry. */
  maxWriteBatch: number;
  /** Write requests one upsert may have in flight together (default 1: one after another). */
  writesInFlight?: number;
  /** Most records one read request may ask for. */
  maxReadBatch: number;
  /**
   * 'native': the system creates-or-updates by external id in one call. 'lookup-then-write': the
   * connector finds the record by external id first; still idempotent, but two calls per batch.
   */
  upsert: 'native' | 'lookup-then-write';
  /** True when the sink can archive a record (mirror mode needs it). */
  archives: boolean;
  /**
   * True when `count()` reflects every write at once (not a search index that lags, as HubSpot's
   * does): a first sync into a CRM that counted 0 then plans creates without reading the CRM.
   */
  countIsCurrent?: boolean;
  /**
   * Longest text each property takes, in characters, where the system publishes it: a record over
   * a limit is rejected with the reason before any write instead of failing run after run.
   */
  fieldLimits?: FieldLimits;
}

/** Where products go (the CRM side). */
export interface ProductSink {
  readonly system: string;
  readonly capabilities: ProductSinkCapabilities;
  /** Current records for these external ids; absent ones are not in the result. */
  readByExternalIds(externalIds: string[]): Promise<CrmProductRecord[]>;
  /**
   * Creates or updates by external id, idempotently. Throws BatchRejectedError when the system
   * refuses the batch as a whole, so the caller can isolate the records at fault. `onProgress` is
   * called during long writes (e.g. a Salesforce Bulk API job), so the activity keeps heartbeating.
   */
  upsertBatch(inputs: CrmProductInput[], onProgress?: () => void): Promise<UpsertResult[]>;
  /** How many products the CRM holds (archived included): the base of the change guard. */
  count(): Promise<number>;
  /**
   * The bridge-managed records that are not archived, a page at a time in a stable order, from
   * `after` (null: the first page). Mirror mode's reconcile compares them with the PMS; a sink
   * without it cannot be reconciled (the run's summary says so).
   */
  listManaged?(after: string | null, limit: number): Promise<{ records: CrmProductRecord[]; after: string | null }>;
}

/** What one product integration's activities talk to: its connectors and field mapping, from configuration. */
export interface ProductIntegration {
  source: ProductSource;
  sink: ProductSink;
  mapping: FieldMapping;
}

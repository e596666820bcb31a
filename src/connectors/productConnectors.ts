import type { CrmProperties } from '../domain/fieldMapping';
import type { RawPmsProduct } from '../domain/pmsProduct';
import type { ChangeCursor, ChangePage } from './changeFeed';

export type ProductPage = ChangePage<RawPmsProduct>;

/** Where products come from (the PMS side). */
export interface ProductSource {
  readonly system: string;
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
}

export interface ProductSinkCapabilities {
  /** Most records one write request may carry. */
  maxWriteBatch: number;
  /** Most records one read request may ask for. */
  maxReadBatch: number;
}

/** Where products go (the CRM side). */
export interface ProductSink {
  readonly system: string;
  readonly capabilities: ProductSinkCapabilities;
  /** Current records for these external ids; absent ones are not in the result. */
  readByExternalIds(externalIds: string[]): Promise<CrmProductRecord[]>;
  /**
   * Creates or updates by external id, idempotently. Throws BatchRejectedError when the system
   * refuses the batch as a whole, so the caller can isolate the records at fault.
   */
  upsertBatch(inputs: CrmProductInput[]): Promise<UpsertResult[]>;
  /** How many products the CRM holds (archived included): the base of the change guard. */
  count(): Promise<number>;
}

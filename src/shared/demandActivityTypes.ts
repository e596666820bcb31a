import type { ChangeCursor } from './changeCursor';
import type { PositionedIssue } from './recordIssues';

/** Inputs and outputs of the demand activities (demandMapping and demandStatus). */

export interface FeedPageInput {
  integrationId: string;
  cursor: ChangeCursor | null;
  limit: number;
  /** Byte budget of the page's result, where records carry free text. */
  maxBytes?: number;
}

export interface PreparedDemand {
  demandId: string;
  title: string;
  description: string;
  kind: string;
  priority: 'low' | 'medium' | 'high' | 'critical';
  /** The PMS product the requirement belongs to (the first product the demand names). */
  productId: string;
  otherProductIds: string[];
  account: { id: string; name: string; segment: string; value: number };
  /** Only the contact fields the configuration names; absent by default. */
  contact?: Record<string, string>;
  current: { requirementId: string | null; status: string | null };
  position: ChangeCursor;
}

export interface DemandPage {
  fetched: number;
  demands: PreparedDemand[];
  rejected: PositionedIssue[];
  /** Demands that cannot be mapped yet (a product not synced yet): the watermark stays before them. */
  failed: PositionedIssue[];
  nextCursor: ChangeCursor | null;
  hasMore: boolean;
}

export interface DemandOutcome {
  demandId: string;
  requirementId: string;
  requirementStatus: string;
  action: 'created' | 'linked' | 'updated' | 'unchanged';
  matchReason: string | null;
}

export interface MapDemandsResult {
  outcomes: DemandOutcome[];
  failed: Array<{ demandId: string; reason: string }>;
}

export interface LinkUpdate {
  id: string;
  pmsRequirementId: string;
  pmsStatus: string;
}

export interface WriteLinksResult {
  changed: string[];
  unchanged: string[];
  missing: string[];
}

export interface VerifyLinksResult {
  verified: string[];
  mismatched: Array<{ id: string; reason: string }>;
}

export interface OrderSignal {
  productId: string;
  period: string;
  orderId: string;
  quantity: number;
}

export interface OrderPage {
  fetched: number;
  signals: OrderSignal[];
  rejected: PositionedIssue[];
  /** Orders that cannot be counted yet (a product not synced yet): the watermark stays before them. */
  failed: PositionedIssue[];
  nextCursor: ChangeCursor | null;
  hasMore: boolean;
}

export interface RequirementPage {
  fetched: number;
  updates: Array<LinkUpdate & { position: ChangeCursor }>;
  nextCursor: ChangeCursor | null;
  hasMore: boolean;
}

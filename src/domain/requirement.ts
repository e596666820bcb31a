/** What the product team works with in the PMS: requirements and the customer demands linked to them. */

/** One customer demand as the product team sees it on a requirement. No contact data by default. */
export interface DemandLink {
  demandId: string;
  title: string;
  kind: string;
  priority: 'low' | 'medium' | 'high' | 'critical';
  accountId: string;
  accountName: string;
  segment: string;
  accountValue: number;
  /** Why this demand was merged into an existing requirement; null for the one that created it. */
  matchReason: string | null;
  linkedAt: string;
  /** Contact fields, only when the mapping names them. */
  contact?: Record<string, string>;
}

export interface Requirement {
  id: string;
  title: string;
  description: string;
  productId: string;
  status: string;
  demands: DemandLink[];
  demandScore: number;
  updatedAt: string;
}

/** What the product team works with in the PMS: requirements and the customer demands linked to them. */

/** Who decided a link: the bridge ('linked'), or it awaits a product manager ('suggested'), who then
 *  'confirmed' or 'rejected' it in the tool. The bridge never changes a 'confirmed' or 'rejected' link. */
export type LinkState = 'linked' | 'suggested' | 'confirmed' | 'rejected';
export const linkStates = ['linked', 'suggested', 'confirmed', 'rejected'] as const satisfies readonly LinkState[];

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
  /** The matcher's score (0..1) for this link; null for the demand that created the requirement. */
  matchScore: number | null;
  linkState: LinkState;
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
  /** The tool says the work is over (released, declined, done): it takes no new demands unless configured. */
  terminal: boolean;
  /** The earlier, terminal requirement this one continues, when a demand came for it after it closed. */
  refersTo?: string;
}

/** Statuses after which a requirement's work is over, in the words the tools use. */
const terminalStatuses: readonly string[] = ['released', 'declined', 'done'];

/** Whether a status ends a requirement's work (for stores whose data does not say it). */
export function isTerminalStatus(status: string): boolean {
  return terminalStatuses.includes(status.toLowerCase());
}

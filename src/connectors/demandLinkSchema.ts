import { z } from 'zod';
import { linkStates } from '../domain/requirement';

/**
 * A demand link as a requirement store hands it back; links written before linkState and matchScore
 * existed read as 'linked' with no score. Fields the bridge does not know are dropped.
 */
export const demandLinkSchema = z
  .object({
    demandId: z.string().min(1),
    title: z.string().default(''),
    kind: z.string().default(''),
    priority: z.enum(['low', 'medium', 'high', 'critical']),
    accountId: z.string(),
    accountName: z.string(),
    segment: z.string(),
    accountValue: z.number(),
    matchReason: z.string().nullable().default(null),
    linkedAt: z.string(),
    contact: z.record(z.string(), z.string()).optional(),
    matchScore: z.number().nullable().default(null),
    linkState: z.enum(linkStates).default('linked'),
  })
  .strip();

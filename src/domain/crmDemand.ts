import { z } from 'zod';

/** Customer records as the CRM holds them, checked one by one before they travel anywhere. */

export const demandKinds = ['feature-request', 'problem', 'need'] as const;
export const demandPriorities = ['low', 'medium', 'high', 'critical'] as const;
export type DemandPriority = (typeof demandPriorities)[number];

export const crmDemandSchema = z.object({
  id: z.string().min(1).max(64),
  title: z.string().trim().min(1, 'title is missing or empty').max(300),
  description: z.string().max(20_000).default(''),
  kind: z.enum(demandKinds),
  skus: z.array(z.string().min(1).max(64)).min(1, 'names no product').max(20),
  priority: z.enum(demandPriorities).default('medium'),
  accountId: z.string().min(1, 'has no account'),
  contactId: z.string().nullable().default(null),
  status: z.string().max(32).default('open'),
  updatedAt: z.iso.datetime({ offset: true }),
  pmsRequirementId: z.string().nullable().default(null),
  pmsStatus: z.string().nullable().default(null),
});
export type CrmDemand = z.infer<typeof crmDemandSchema>;

export const crmOrderSchema = z.object({
  id: z.string().min(1).max(64),
  accountId: z.string().min(1),
  orderedAt: z.iso.datetime({ offset: true }),
  lines: z
    .array(z.object({ sku: z.string().min(1).max(64), quantity: z.number().int().positive().max(10_000_000) }))
    .min(1, 'has no lines')
    .max(1000),
  updatedAt: z.iso.datetime({ offset: true }),
});

export const crmAccountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    segment: z.string(),
    annualValue: z.number().nonnegative(),
  })
  .loose();
export type CrmAccount = z.infer<typeof crmAccountSchema>;

export const contactFieldNames = ['name', 'email', 'phone'] as const;
export type ContactField = (typeof contactFieldNames)[number];

export const crmContactSchema = z.object({ id: z.string(), name: z.string(), email: z.string(), phone: z.string() }).loose();
export type CrmContact = z.infer<typeof crmContactSchema>;

/** The month an order counts toward, in UTC: the period of a PMS demand signal. */
export function orderPeriod(orderedAt: string): string {
  return new Date(orderedAt).toISOString().slice(0, 7);
}

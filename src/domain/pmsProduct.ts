import { z } from 'zod';

/** ISO 4217 codes the runtime knows; an unknown code in the PMS is a data error, not a new currency. */
const knownCurrencies = new Set(Intl.supportedValuesOf('currency'));

export const lifecycleStatuses = ['draft', 'active', 'discontinued'] as const;
export type LifecycleStatus = (typeof lifecycleStatuses)[number];

export const productLimits = {
  nameMaxLength: 200,
  descriptionMaxLength: 20_000,
  featuresMaxCount: 50,
  featureMaxLength: 200,
} as const;

/**
 * A product as the PMS owns it. The PMS is the dirty side of the integration (drafts without a
 * name, legacy rows with wrong types), so every record is checked against this before it is mapped.
 */
export const pmsProductSchema = z.object({
  id: z.string().min(1).max(64),
  sku: z.string().min(1).max(64),
  name: z.string().trim().min(1, 'name is missing or empty').max(productLimits.nameMaxLength),
  description: z.string().max(productLimits.descriptionMaxLength).default(''),
  category: z.string().min(1).max(100),
  price: z.object({
    amount: z.number().finite().nonnegative('price must not be negative'),
    currency: z
      .string()
      .length(3)
      .refine((code) => knownCurrencies.has(code), { message: 'unknown currency code' }),
  }),
  stock: z.number().int().nonnegative(),
  features: z.array(z.string().max(productLimits.featureMaxLength)).max(productLimits.featuresMaxCount).default([]),
  lifecycle: z.enum(lifecycleStatuses),
  updatedAt: z.iso.datetime({ offset: true }),
  deleted: z.boolean().default(false),
});

export type PmsProduct = z.infer<typeof pmsProductSchema>;
/** What the PMS API hands out before validation: only the paging keys are guaranteed. */
export interface RawPmsProduct {
  id: string;
  updatedAt: string;
  deleted?: boolean;
  [field: string]: unknown;
}

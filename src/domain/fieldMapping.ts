import { z } from 'zod';
import { currencyMinorUnit } from './currencyMinorUnit';
import { roundHalfAwayFromZero } from './decimalRounding';
import type { PmsProduct } from './pmsProduct';

/** A CRM property value: the CRM side stores flat scalar properties, as HubSpot and Salesforce do. */
export type CrmValue = string | number | boolean | null;
export type CrmProperties = Record<string, CrmValue>;

function isLocale(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

const valueTransformSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('copy') }),
  z.object({
    type: z.literal('enum'),
    values: z.record(z.string(), z.string()),
  }),
  z.object({ type: z.literal('join'), separator: z.string().max(10).default('; ') }),
  z
    .object({
      type: z.literal('round'),
      /** A fixed number of decimals for every record. */
      decimals: z.number().int().min(0).max(6).optional(),
      /** Or: the path of each record's ISO currency code, to keep that currency's minor unit (JPY 0, EUR 2, BHD 3). */
      currencyFrom: z.string().min(1).optional(),
    })
    .refine((rule) => (rule.decimals === undefined) !== (rule.currencyFrom === undefined), {
      message: 'round takes either decimals (a fixed number) or currencyFrom (the path of the currency code), not both',
    }),
  z.object({
    type: z.literal('currency'),
    /** Path of the ISO currency code that goes with the amount. */
    currencyFrom: z.string().min(1),
    /** A BCP 47 tag; checked here because Intl throws on a malformed one only when a record is mapped. */
    locale: z.string().refine(isLocale, 'must be a BCP 47 locale such as en-US or de-CH').default('en-US'),
  }),
  z.object({ type: z.literal('truncate'), maxLength: z.number().int().positive() }),
  z.object({ type: z.literal('uppercase') }),
  z.object({ type: z.literal('lowercase') }),
]);
type ValueTransform = z.infer<typeof valueTransformSchema>;

/** A rule is either the source path alone (`name: title`) or an object with a transform. */
const fieldRuleSchema = z.preprocess(
  (rule) => (typeof rule === 'string' ? { from: rule } : rule),
  z.object({
    from: z.string().min(1),
    transform: valueTransformSchema.default({ type: 'copy' }),
    default: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  }),
);

/** CRM property name -> where its value comes from in the PMS product and how it is shaped. */
export const fieldMappingSchema = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'CRM property names are letters, digits and _'), fieldRuleSchema)
  .refine((mapping) => Object.keys(mapping).length > 0, 'the mapping must name at least one field');
export type FieldMapping = z.output<typeof fieldMappingSchema>;
export type FieldMappingInput = z.input<typeof fieldMappingSchema>;

/** The default mapping from the sandbox PMS product to the sandbox CRM product properties. */
export const defaultFieldMapping: FieldMappingInput = {
  name: 'name',
  sku: 'sku',
  description: 'description',
  category: 'category',
  price: { from: 'price.amount', transform: { type: 'round', currencyFrom: 'price.currency' } },
  currency: 'price.currency',
  priceFormatted: { from: 'price.amount', transform: { type: 'currency', currencyFrom: 'price.currency' } },
  stock: 'stock',
  features: { from: 'features', transform: { type: 'join', separator: '; ' } },
  status: {
    from: 'lifecycle',
    transform: { type: 'enum', values: { draft: 'Draft', active: 'Active', discontinued: 'Discontinued' } },
  },
};

/** A value the mapping cannot produce for a record: the record is rejected with this reason. */
export class MappingError extends Error {
  override readonly name = 'MappingError';
}

function readPath(source: unknown, path: string): unknown {
  let current: unknown = source;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function toScalar(value: unknown, field: string): CrmValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new MappingError(
    `${field}: a ${Array.isArray(value) ? 'list' : typeof value} cannot go into one CRM property; add a transform such as join`,
  );
}

function applyTransform(value: unknown, transform: ValueTransform, product: PmsProduct, field: string): CrmValue {
  switch (transform.type) {
    case 'copy':
      return toScalar(value, field);
    case 'enum': {
      const key = String(value);
      // Own entries only: a value such as 'constructor' or '__proto__' would otherwise find
      // Object.prototype's members and send a function or an object to the CRM.
      const mapped = Object.hasOwn(transform.values, key) ? transform.values[key] : undefined;
      if (mapped === undefined) throw new MappingError(`${field}: value '${key}' has no entry in the enum mapping`);
      return mapped;
    }
    case 'join':
      return Array.isArray(value) ? value.map(String).join(transform.separator) : toScalar(value, field);
    case 'round': {
      if (typeof value !== 'number') return toScalar(value, field);
      // Half away from zero on the decimal value: 1.005 to 2 places is 1.01.
      return roundHalfAwayFromZero(value, transform.decimals ?? currencyMinorUnit(currencyOf(product, transform.currencyFrom!, field)));
    }
    case 'currency': {
      if (typeof value !== 'number') throw new MappingError(`${field}: needs a number and a currency code at ${transform.currencyFrom}`);
      const currency = currencyOf(product, transform.currencyFrom, field);
      // The ISO minor unit, not ICU's display digits (which show 0 for IQD), so the text matches the amount.
      const digits = currencyMinorUnit(currency);
      return new Intl.NumberFormat(transform.locale, {
        style: 'currency',
        currency,
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      }).format(roundHalfAwayFromZero(value, digits));
    }
    case 'truncate':
      return typeof value === 'string' ? value.slice(0, transform.maxLength) : toScalar(value, field);
    case 'uppercase':
      return typeof value === 'string' ? value.toUpperCase() : toScalar(value, field);
    case 'lowercase':
      return typeof value === 'string' ? value.toLowerCase() : toScalar(value, field);
  }
}

/**
 * The record's ISO currency code. Intl throws a RangeError on a malformed code ('EURO', ''); that
 * must reject the record, not fail the whole page. Well-formed codes it does not know it prints as they are.
 */
function currencyOf(product: PmsProduct, path: string, field: string): string {
  const currency = readPath(product, path);
  if (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency)) {
    throw new MappingError(`${field}: needs a number and a currency code at ${path}`);
  }
  return currency;
}

/** Maps a validated PMS product to CRM properties; throws MappingError with the field's name. */
export function mapProduct(product: PmsProduct, mapping: FieldMapping): CrmProperties {
  const properties: CrmProperties = {};
  for (const [field, rule] of Object.entries(mapping)) {
    const raw = readPath(product, rule.from);
    const value = raw === undefined && rule.default !== undefined ? rule.default : raw;
    properties[field] = applyTransform(value, rule.transform, product, field);
  }
  return properties;
}

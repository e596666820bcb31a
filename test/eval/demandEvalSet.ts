import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { demandThemes, generateCustomers, unknownSku } from '../../src/sandbox/crmCustomerSeed';

/** One demand of the evaluation: its text, the need a person gave it, and where it is placed. */
export interface EvalDemand {
  id: string;
  /** The need id a person wrote: demands with one need belong on one requirement. */
  need: string;
  /** Placement compares a demand only with requirements of its area (the product, in the bridge). */
  area: string;
  /** en, de, fr, es; 'seed' for the sandbox seed's demands (all English). */
  language: string;
  title: string;
  description: string;
}

const fixtureDirectory = join(__dirname, '../fixtures/demand-eval');

const halfSchema = z.object({
  half: z.enum(['tuning', 'test']),
  areas: z.array(
    z.object({
      area: z.string(),
      needs: z.record(z.string(), z.array(z.tuple([z.enum(['en', 'de', 'fr', 'es']), z.string().min(1), z.string()]))),
    }),
  ),
});

export type Half = 'tuning' | 'test';

/** One half of test/fixtures/demand-eval, in file order. */
export function evalHalf(half: Half): EvalDemand[] {
  const file = halfSchema.parse(parse(readFileSync(join(fixtureDirectory, `${half}.yaml`), 'utf8')));
  return file.areas.flatMap(({ area, needs }) =>
    Object.entries(needs).flatMap(([need, demands]) =>
      demands.map(([language, title, description], index) => ({ id: `${need}#${index + 1}`, need, area, language, title, description })),
    ),
  );
}

/**
 * The sandbox seed's placeable demands (the two naming the unknown SKU are rejected before placement),
 * in creation order, each with its need: the theme whose wording it uses, else a one-off of its own.
 * The area is the first SKU's product, as the bridge places by the demand's first product.
 */
export function seedDemands(): EvalDemand[] {
  const themeOf = new Map(demandThemes.flatMap((theme) => theme.wordings.map((wording) => [wording.title, theme.key] as const)));
  return generateCustomers()
    .demands.filter((demand) => !demand.skus.includes(unknownSku))
    .map((demand) => ({
      id: demand.id,
      need: themeOf.get(demand.title) ?? `one-off: ${demand.title}`,
      area: demand.skus[0]!,
      language: 'seed',
      title: demand.title,
      description: demand.description,
    }));
}

/** The needs the seed's themes stand for (asked by several accounts each). */
export const seedSharedNeeds = demandThemes.map((theme) => theme.key);

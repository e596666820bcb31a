import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDemandMatcher } from '../../src/connectors/demandMatchers';
import { matcherConfigSchema, type MatcherConfig } from '../../src/domain/demandMatcher';
import { createPrng } from '../../src/sandbox/prng';
import { evalHalf, seedDemands, seedSharedNeeds, type EvalDemand, type Half } from './demandEvalSet';
import { pairwiseScore, splitNeeds, type PairwiseScore } from './pairwiseMetrics';
import { simulatePlacement } from './placementSimulation';

/**
 * `npm run eval:matcher`: places the evaluation set's demands (test/fixtures/demand-eval) and the
 * sandbox seed's with every matcher this build has, as the demandMapping activity would, and
 * compares the requirements with the needs people wrote down. Prints the table and writes it to
 * MATCHER_EVAL.md. `--sweep` instead prints tier thresholds against the TUNING half only.
 * The embeddings matcher joins when EMBEDDINGS_URL (and EMBEDDINGS_MODEL, EMBEDDINGS_API_KEY_ENV) is set.
 */

const languages = ['en', 'de', 'fr', 'es'] as const;
/** Fixed, so every run places the demands in the same interleaved order. */
const arrivalSeed = 20261201;

function inArrivalOrder(demands: EvalDemand[]): EvalDemand[] {
  return createPrng(arrivalSeed).sample(demands, demands.length);
}

function matcherConfigs(): MatcherConfig[] {
  const configs = [matcherConfigSchema.parse({})];
  const url = process.env.EMBEDDINGS_URL;
  if (url) {
    const parsed = matcherConfigSchema.safeParse({
      kind: 'embeddings',
      embeddings: { url, model: process.env.EMBEDDINGS_MODEL, apiKeyEnv: process.env.EMBEDDINGS_API_KEY_ENV },
    });
    if (!parsed.success)
      throw new Error(`EMBEDDINGS_URL is set, but this build cannot configure an embeddings matcher: ${parsed.error.message}`);
    configs.push(parsed.data);
  }
  return configs;
}

/** The embeddings matcher's cache lives in the bridge's data directory, as in a worker. */
const matcherDeps = { env: process.env, dataDir: process.env.BRIDGE_DATA_DIR ?? 'data' };

const figure = (value: number) => value.toFixed(2);
const row = (label: string, score: PairwiseScore) =>
  `| ${label} | ${score.truePairs} / ${score.pairs} | ${figure(score.precision)} | ${figure(score.recall)} | ${figure(score.f1)} |`;

interface HalfResult {
  lines: string[];
  sameLanguage: PairwiseScore;
  all: PairwiseScore;
  requirements: number;
}

async function evaluateHalf(half: Half, config: MatcherConfig): Promise<HalfResult> {
  const demands = inArrivalOrder(evalHalf(half));
  const placed = await simulatePlacement(demands, createDemandMatcher(config, matcherDeps), config);
  const score = (include: Parameters<typeof pairwiseScore>[2]) => pairwiseScore(demands, placed.requirementOf, include);
  const sameLanguage = score((a, b) => a.language === b.language);
  const all = score(() => true);
  const needs = new Set(demands.map((d) => d.need)).size;
  const lines = [
    `**${half} half**: ${demands.length} demands, ${needs} needs -> ${placed.requirements} requirements (${placed.suggested} links suggested), ${splitNeeds(demands, placed.requirementOf).length} needs split`,
    '',
    '| pairs | same need / all | precision | recall | F1 |',
    '| --- | --- | --- | --- | --- |',
    ...languages.map((language) =>
      row(
        `same language: ${language}`,
        score((a, b) => a.language === language && b.language === language),
      ),
    ),
    row('same language: all', sameLanguage),
    row(
      'across languages',
      score((a, b) => a.language !== b.language),
    ),
    row('all pairs', all),
    '',
  ];
  return { lines, sameLanguage, all, requirements: placed.requirements };
}

async function evaluateSeed(config: MatcherConfig): Promise<string[]> {
  const demands = seedDemands();
  const placed = await simulatePlacement(demands, createDemandMatcher(config, matcherDeps), config);
  const split = splitNeeds(demands, placed.requirementOf);
  const shared = seedSharedNeeds.filter((need) => !split.includes(need)).length;
  const needs = new Set(demands.map((d) => d.need)).size;
  return [
    `**sandbox seed**: ${demands.length} placeable demands, ${needs} needs -> ${placed.requirements} requirements (target ${needs}), ` +
      `${placed.suggested} links suggested; ${shared} of the ${seedSharedNeeds.length} shared needs in one requirement each` +
      (split.length > 0 ? ` (split: ${split.join(', ')})` : ''),
    '',
    '| pairs | same need / all | precision | recall | F1 |',
    '| --- | --- | --- | --- | --- |',
    row(
      'all pairs',
      pairwiseScore(demands, placed.requirementOf, () => true),
    ),
    '',
  ];
}

async function sweep(): Promise<void> {
  const demands = inArrivalOrder(evalHalf('tuning'));
  console.log('TUNING half only: autoLinkAt suggestAt -> same-language P/R, all P/R, requirements');
  for (const autoLinkAt of [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]) {
    for (const suggestAt of [0.15, 0.2, 0.25, 0.3, 0.35].filter((s) => s <= autoLinkAt)) {
      const config = matcherConfigSchema.parse({ autoLinkAt, suggestAt });
      const placed = await simulatePlacement(demands, createDemandMatcher(config, matcherDeps), config);
      const same = pairwiseScore(demands, placed.requirementOf, (a, b) => a.language === b.language);
      const all = pairwiseScore(demands, placed.requirementOf, () => true);
      console.log(
        `${autoLinkAt} ${suggestAt} -> ${figure(same.precision)}/${figure(same.recall)}  ${figure(all.precision)}/${figure(all.recall)}  ${placed.requirements}`,
      );
    }
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--sweep')) return sweep();
  const out: string[] = [
    '# Matcher evaluation',
    '',
    'Written by `npm run eval:matcher` (test/eval/matcherEval.ts); do not edit by hand. Demands from',
    '`test/fixtures/demand-eval` (see its README: split by product area, tuned on the tuning half only) are placed one',
    'by one, in a fixed shuffled order, as the demandMapping activity places them: each is ranked against the',
    'requirements created so far for its area and the tiers link it, suggest it, or create a requirement. Suggested',
    'links count as placed together. Pairwise: precision is the share of demand pairs placed together that are one',
    'need; recall the share of same-need pairs placed together. "same language" pairs are two demands in one language.',
    '',
  ];
  for (const config of matcherConfigs()) {
    out.push(`## ${config.kind} matcher (autoLinkAt ${config.autoLinkAt}, suggestAt ${config.suggestAt})`, '');
    for (const half of ['tuning', 'test'] as const) out.push(...(await evaluateHalf(half, config)).lines);
    out.push(...(await evaluateSeed(config)));
  }
  const text = out.join('\n');
  console.log(text);
  writeFileSync(join(__dirname, '../../MATCHER_EVAL.md'), text);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

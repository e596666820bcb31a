import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomSeed } from '../../src/sandbox/prng';
import { startChaosTemporal } from './chaosTemporal';
import { runScenario, type ScenarioReport } from './runScenario';
import { chaosScenarios } from './scenarios';

const usage = `npm run chaos [-- options]
  --scenario <name>   run only this scenario (${chaosScenarios.map((s) => s.name).join(', ')})
  --seed <n>          use this seed (replays a failure); default: fresh random seeds
  --seeds <n>         seeds per scenario (default 2)
  --short             the sizes npm test uses, instead of the full ones`;

function options() {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      seed: { type: 'string' },
      seeds: { type: 'string', default: '2' },
      short: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const scenarios = values.scenario === undefined ? chaosScenarios : chaosScenarios.filter((s) => s.name === values.scenario);
  if (scenarios.length === 0)
    throw new Error(`unknown scenario '${values.scenario}'; known: ${chaosScenarios.map((s) => s.name).join(', ')}`);
  const seedCount = Number(values.seeds);
  if (!Number.isInteger(seedCount) || seedCount < 1) throw new Error(`--seeds must be a whole number >= 1, got '${values.seeds}'`);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`--seed must be a whole number, got '${values.seed}'`);
  return {
    scenarios,
    seeds: seed === undefined ? Array.from({ length: seedCount }, randomSeed) : [seed],
    scale: values.short ? ('short' as const) : ('full' as const),
  };
}

function table(reports: ScenarioReport[]): string {
  const rows = reports.map((r) => {
    const injected = Object.entries(r.faults)
      .map(([kind, n]) => `${n} ${kind}`)
      .join(', ');
    const result = r.broken === 0 ? 'pass' : `FAIL${r.error ? `: ${r.error.slice(0, 80)}` : ''}`;
    return `| ${r.scenario} | ${r.seed} | ${r.seconds.toFixed(0)} s | ${r.recordsChecked} | ${injected} | ${r.watermarkSamples} | ${r.violations.lost.length} | ${r.violations.duplicates.length} | ${r.broken} | ${result} |`;
  });
  const total = (pick: (r: ScenarioReport) => number) => reports.reduce((sum, r) => sum + pick(r), 0);
  return [
    '| scenario | seed | time | records checked | faults injected | watermark checks | lost | duplicates | rules broken | result |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    `| all | | ${total((r) => r.seconds).toFixed(0)} s | ${total((r) => r.recordsChecked)} | ${total((r) => Object.values(r.faults).reduce((a, b) => a + b, 0))} | ${total((r) => r.watermarkSamples)} | ${total((r) => r.violations.lost.length)} | ${total((r) => r.violations.duplicates.length)} | ${total((r) => r.broken)} | |`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { scenarios, seeds, scale } = options();
  const temporal = await startChaosTemporal();
  const reports: ScenarioReport[] = [];
  try {
    for (const scenario of scenarios) {
      for (const seed of seeds) reports.push(await runScenario(scenario, { seed, scale, temporal }));
    }
  } finally {
    await temporal.stop();
  }
  const file = path.join(tmpdir(), `bridge-chaos-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(reports, null, 2));
  console.log(`\n${table(reports)}\n\nEvery fault and check, per run: ${file}`);
  const failed = reports.filter((r) => r.broken > 0);
  if (failed.length > 0) {
    console.error(`${failed.length} of ${reports.length} chaos runs FAILED; replay one with the command printed at its start.`);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(`${(error as Error).message}\n\n${usage}`);
  process.exit(2);
});

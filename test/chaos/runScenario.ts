import { createPrng } from '../../src/sandbox/prng';
import type { ChaosTemporal } from './chaosTemporal';
import { describeViolations, emptyViolations, violationCount, type Violations } from './invariants';
import type { ChaosScale, ChaosScenario } from './scenario';

export interface ScenarioReport {
  scenario: string;
  seed: number;
  scale: ChaosScale;
  seconds: number;
  recordsChecked: number;
  faults: Record<string, number>;
  watermarkSamples: number;
  violations: Violations;
  /** Lost + duplicated + every other broken rule; 0 is a pass. */
  broken: number;
  /** A scenario that could not finish (timed out, crashed) says why here. */
  error?: string;
}

/** How to run exactly this scenario and seed again. */
export const replayCommand = (scenario: string, seed: number, scale: ChaosScale): string =>
  `npm run chaos -- --scenario ${scenario} --seed ${seed}${scale === 'short' ? ' --short' : ''}`;

export async function runScenario(
  scenario: ChaosScenario,
  options: { seed: number; scale: ChaosScale; temporal: ChaosTemporal; log?: (line: string) => void },
): Promise<ScenarioReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const prefix = `[chaos ${scenario.name} seed=${options.seed}]`;
  log(`${prefix} ${scenario.title} (replay: ${replayCommand(scenario.name, options.seed, options.scale)})`);
  const started = Date.now();
  const base = { scenario: scenario.name, seed: options.seed, scale: options.scale };
  try {
    const outcome = await scenario.run({
      scenario: scenario.name,
      seed: options.seed,
      scale: options.scale,
      prng: createPrng(options.seed),
      temporal: options.temporal,
      log: (message) => log(`${prefix} ${message}`),
    });
    const broken = violationCount(outcome.violations);
    const report = { ...base, ...outcome, seconds: (Date.now() - started) / 1000, broken };
    log(
      `${prefix} ${broken === 0 ? 'passed' : `FAILED: ${describeViolations(outcome.violations)}`} in ${report.seconds.toFixed(1)} s; ${outcome.recordsChecked} records checked; faults ${JSON.stringify(outcome.faults)}`,
    );
    return report;
  } catch (error) {
    const message = (error as Error).stack ?? String(error);
    log(`${prefix} FAILED: ${message}`);
    return {
      ...base,
      seconds: (Date.now() - started) / 1000,
      recordsChecked: 0,
      faults: {},
      watermarkSamples: 0,
      violations: emptyViolations(),
      broken: 1,
      error: (error as Error).message,
    };
  }
}

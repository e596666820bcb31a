import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startChaosTemporal, type ChaosTemporal } from '../chaos/chaosTemporal';
import { describeViolations } from '../chaos/invariants';
import { replayCommand, runScenario } from '../chaos/runScenario';
import { chaosScenarios } from '../chaos/scenarios';

/**
 * The short variant of `npm run chaos`: every scenario once, at small sizes, with a fixed seed per
 * scenario so a failure here replays exactly (CHAOS_SEED=<n> runs them all with another seed).
 */
describe('chaos (short variant of npm run chaos): nothing lost, nothing duplicated', () => {
  let temporal: ChaosTemporal;
  before(async () => {
    temporal = await startChaosTemporal();
  });
  after(async () => {
    await temporal?.stop();
  });

  chaosScenarios.forEach((scenario, index) => {
    const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : 1_000 + index;
    test(`${scenario.name} (seed ${seed}): ${scenario.title}; every invariant holds`, async () => {
      const lines: string[] = [];
      const report = await runScenario(scenario, { seed, scale: 'short', temporal, log: (line) => lines.push(line) });
      assert.equal(
        report.broken,
        0,
        `${report.error ?? describeViolations(report.violations)}\nreplay: ${replayCommand(scenario.name, seed, 'short')}\n${lines.join('\n')}`,
      );
      assert.ok(report.recordsChecked > 0, 'the scenario checked records');
      assert.ok(
        Object.values(report.faults).some((n) => n > 0),
        'the scenario injected faults',
      );
    });
  });
});

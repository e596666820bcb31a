import fc from 'fast-check';

/**
 * How to replay a failed property: fast-check prints `seed: <n>, path: "<p>"` and the shrunk
 * counterexample. Run the failing test alone with them:
 *
 *   FC_SEED=<n> FC_PATH="<p>" node --import tsx --test --test-name-pattern "<test name>" test/unit/<file>.property.test.ts
 *
 * FC_SEED alone regenerates the same inputs from the start (the same run, not only the shrunk case).
 * Each property file imports this module, so the variables reach every property in it.
 */
const seed = process.env.FC_SEED;
const path = process.env.FC_PATH;
if (seed !== undefined)
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(seed), ...(path ? { path, endOnFailure: true } : {}) });

/**
 * The layers, checked by `npm run lint:layers` (part of `npm test`); the README's Development
 * section draws the same picture. Each rule says who may not import whom, and why.
 */
const host = '^src/(config|integrations|security|webhooks|temporal|cli)/|^src/integrations\\.ts$|^src/start\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import loop makes the order of module initialisation matter and the layers meaningless.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shared-is-the-floor',
      severity: 'error',
      comment: 'src/shared holds what every layer shares (types, schemas, pure helpers); it imports nothing of ours but itself.',
      from: { path: '^src/shared/' },
      to: { path: '^(src/|workflows/|activities/|test/|bench/)', pathNot: '^src/shared/' },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'src/domain is pure business logic: it builds on src/shared only.',
      from: { path: '^src/domain/' },
      to: { path: '^(src/|workflows/|activities/|test/|bench/)', pathNot: '^src/(shared|domain)/' },
    },
    {
      name: 'connectors-talk-to-systems-only',
      severity: 'error',
      comment: 'A connector knows its system, the domain and the shared types; never Temporal code, configuration loading or the host.',
      from: { path: '^src/connectors/' },
      to: { path: '^(src/|workflows/|activities/|test/|bench/)', pathNot: '^src/(shared|domain|connectors|logging|http)/' },
    },
    {
      name: 'workflows-import-only-shared-code',
      severity: 'error',
      comment: 'Workflow code runs in the deterministic sandbox: it imports src/shared and other workflow code, nothing else of ours.',
      from: { path: '^workflows/' },
      to: { path: '^(src/|test/|bench/)', pathNot: '^src/shared/' },
    },
    {
      name: 'workflows-import-activity-types-only',
      severity: 'error',
      comment: 'Workflows call activities through proxyActivities; they import activity types, never activity code.',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'activities-below-workflows-and-host',
      severity: 'error',
      comment:
        'Activities do I/O through connectors handed to them (createActivities(deps)); they never reach up into workflows or the host.',
      from: { path: '^activities/' },
      to: { path: `^workflows/|^src/sandbox/|^test/|^bench/|${host}` },
    },
    {
      name: 'lower-layers-below-the-host',
      severity: 'error',
      comment:
        'Shared code, domain, connectors, logging, metrics and http never import configuration loading, Temporal wiring, the CLI or webhooks.',
      from: { path: '^src/(shared|domain|connectors|logging|metrics|http)/' },
      to: { path: `^workflows/|^activities/|${host}` },
    },
    {
      name: 'sandbox-is-the-outside-world',
      severity: 'error',
      comment:
        'The sandbox PMS and CRM stand in for real systems: only npm start, the `bridge sandbox` command, tests and the bench start them.',
      from: { pathNot: '^src/sandbox/|^src/start\\.ts$|^src/cli/bridge\\.ts$|^test/|^bench/' },
      to: { path: '^src/sandbox/' },
    },
    {
      name: 'product-code-never-imports-tests',
      severity: 'error',
      from: { path: '^(src|workflows|activities)/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};

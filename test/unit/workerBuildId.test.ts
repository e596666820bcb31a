import assert from 'node:assert/strict';
import { test } from 'node:test';
import { derivedBuildId, workerVersion } from '../../src/temporal/workerBuildId';

test('the derived build id is the package version and 12 hex digits of the workflow code, the same on every call', () => {
  const buildId = derivedBuildId();
  assert.match(buildId, /^0\.1\.0\+[0-9a-f]{12}$/);
  assert.equal(derivedBuildId(), buildId);
});

test('a configured build id (BRIDGE_BUILD_ID) wins over the derived one', () => {
  assert.deepEqual(workerVersion({ deploymentName: 'crm-pms-bridge', buildId: 'image-42' }), {
    deploymentName: 'crm-pms-bridge',
    buildId: 'image-42',
  });
  assert.equal(workerVersion({ deploymentName: 'crm-pms-bridge' }).buildId, derivedBuildId());
});

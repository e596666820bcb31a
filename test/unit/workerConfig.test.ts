import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/loadConfig';
import { lagSeconds } from '../../src/metrics/syncMetrics';

const cwd = '/nonexistent-dir-without-bridge-yaml';

describe('worker settings', () => {
  test('default to no endpoints, loopback, 20 s grace, 100 activity and 40 workflow task slots, unversioned', () => {
    const { worker } = loadConfig({}, cwd);
    assert.deepEqual(worker, {
      listenHost: '127.0.0.1',
      shutdownGraceMs: 20_000,
      maxConcurrentActivities: 100,
      maxConcurrentWorkflowTasks: 40,
      versioning: 'off',
      deploymentName: 'crm-pms-bridge',
    });
  });

  test('come from environment variables', () => {
    const { worker } = loadConfig(
      {
        BRIDGE_METRICS_PORT: '9464',
        BRIDGE_HEALTH_PORT: '8080',
        BRIDGE_LISTEN_HOST: '0.0.0.0',
        BRIDGE_SHUTDOWN_GRACE_MS: '5000',
        BRIDGE_MAX_CONCURRENT_ACTIVITIES: '8',
        BRIDGE_MAX_CONCURRENT_WORKFLOW_TASKS: '4',
        BRIDGE_MAX_ACTIVITIES_PER_SECOND: '2.5',
        BRIDGE_TASK_QUEUE_ACTIVITIES_PER_SECOND: '10',
        BRIDGE_WORKER_VERSIONING: 'on',
        BRIDGE_DEPLOYMENT_NAME: 'bridge-prod',
        BRIDGE_BUILD_ID: '42',
      },
      cwd,
    );
    assert.deepEqual(worker, {
      metricsPort: 9464,
      healthPort: 8080,
      listenHost: '0.0.0.0',
      shutdownGraceMs: 5000,
      maxConcurrentActivities: 8,
      maxConcurrentWorkflowTasks: 4,
      maxActivitiesPerSecond: 2.5,
      maxTaskQueueActivitiesPerSecond: 10,
      versioning: 'on',
      deploymentName: 'bridge-prod',
      // A build id of digits stays text.
      buildId: '42',
    });
  });

  test('a value that is not a number stops start-up naming the field', () => {
    assert.throws(
      () => loadConfig({ BRIDGE_METRICS_PORT: 'ninety' }, cwd),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /worker\.metricsPort: .*number/);
        return true;
      },
    );
  });
});

describe('sync lag', () => {
  test('is the age of the position reached, and 0 once the feed is read to its end', () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    assert.equal(lagSeconds('2026-11-24T11:59:30Z', false, now), 30);
    assert.equal(lagSeconds('2026-11-24T11:59:30Z', true, now), 0);
    assert.equal(lagSeconds(null, false, now), 0);
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { createLogger } from '../../src/logging/logger';
import { bridgeSearchAttributes } from '../../src/shared/searchAttributes';
import { freePorts } from '../../src/temporal/freePorts';
import { startLocalTemporal, type LocalTemporal, type LocalTemporalOptions } from '../../src/temporal/localTemporal';
import { builtServerDescription, localTemporalMode } from '../../src/temporal/localTemporalBinaries';
import {
  ensureTemporalServer,
  ensureTemporalUiServer,
  temporalServerVersion,
  temporalUiVersion,
} from '../../src/temporal/temporalServerBuild';
import { productSync } from '../../workflows/productSync';
import { waitFor } from '../helpers/workerProcesses';

const execFileAsync = promisify(execFile);

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: response.ok ? ((await response.json()) as Record<string, unknown>) : {} };
}

/**
 * The local Temporal of `npm start`, as `npm start` starts it: the built server on a SQLite file
 * in the data directory, its Web UI wired to the codec server, the namespace and search
 * attributes registered; and what survives a stop and a crash of the server.
 */
describe(
  `npm start's local Temporal (server ${temporalServerVersion}, Web UI ${temporalUiVersion})`,
  {
    skip: localTemporalMode() === 'cli' && 'BRIDGE_LOCAL_TEMPORAL=cli: this machine runs the CLI dev server instead',
  },
  () => {
    let dataDir: string;
    let options: LocalTemporalOptions;
    let local: LocalTemporal;
    let serverPath: string;
    const said: string[] = [];
    const codecEndpoint = 'http://127.0.0.1:8234/t/a-token';

    before(async () => {
      const server = await ensureTemporalServer();
      serverPath = server.serverPath;
      const ui = await ensureTemporalUiServer();
      dataDir = mkdtempSync(path.join(tmpdir(), 'bridge-local-temporal-'));
      // What an earlier npm start on the CLI's dev server left behind.
      writeFileSync(path.join(dataDir, 'temporal.db'), 'a 1.29 database');
      const [port, uiPort] = await freePorts(2);
      options = {
        binaries: { kind: 'server', server, ui, description: builtServerDescription },
        dataDir,
        port: port!,
        uiPort: uiPort!,
        namespace: 'default',
        logger: createLogger('test-local-temporal', { level: 'error' }),
        uiCodecEndpoint: codecEndpoint,
        say: (line) => said.push(line),
      };
      local = await startLocalTemporal(options);
    });

    after(async () => {
      await local?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    test('serves the namespace with the bridge search attributes, and a Web UI that decodes through the codec server', async () => {
      const connection = await Connection.connect({ address: local.address });
      try {
        const info = await connection.workflowService.getSystemInfo({});
        assert.equal(info.serverVersion, temporalServerVersion);
        const attributes = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        for (const { name } of bridgeSearchAttributes) assert.ok(name in (attributes.customAttributes ?? {}), `${name} is registered`);
      } finally {
        await connection.close();
      }
      assert.equal(local.databaseFile, path.join(dataDir, `temporal-${temporalServerVersion}.db`));
      assert.match(said.join('\n'), /temporal\.db holds the history of the CLI's dev server .* cannot open it, so it starts afresh/);

      const settings = await getJson(`${local.uiUrl}/api/v1/settings`);
      assert.equal(settings.status, 200);
      assert.equal(settings.body.Version, temporalUiVersion);
      assert.equal((settings.body.Codec as { Endpoint?: string }).Endpoint, codecEndpoint);
    });

    test('its dynamic config has only keys the server knows, fairness on', async () => {
      const file = path.join(dataDir, `temporal-${temporalServerVersion}`, 'dynamicconfig.yaml');
      assert.match(readFileSync(file, 'utf8'), /matching\.enableFairness:\n\s+- value: true/);
      const { stdout, stderr } = await execFileAsync(serverPath, ['validate-dynamic-config', file]);
      assert.doesNotMatch(stdout + stderr, /warning/i);
    });

    test('a running workflow, its search attributes and a schedule survive a stop and a crash of the server', async () => {
      let connection = await Connection.connect({ address: local.address });
      let client = new Client({ connection, namespace: 'default' });
      const workflowId = `survives-${Date.now()}`;
      // No worker polls this queue: the run stays open across the restarts.
      await client.workflow.start(productSync, {
        taskQueue: 'nobody-polls',
        workflowId,
        args: [{}],
        searchAttributes: { IntegrationId: ['restart-check'] },
      });
      const scheduleId = `schedule-${Date.now()}`;
      await client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1 hour' }] },
        action: { type: 'startWorkflow', workflowType: productSync, taskQueue: 'nobody-polls', args: [{}] },
        state: { paused: true },
      });
      await connection.close();

      for (const how of ['stop', 'crash'] as const) {
        await (how === 'crash' ? local.kill() : local.stop());
        local = await startLocalTemporal({ ...options, serverPorts: local.serverPorts });
        connection = await Connection.connect({ address: local.address });
        client = new Client({ connection, namespace: 'default' });
        try {
          assert.equal((await client.workflow.getHandle(workflowId).describe()).status.name, 'RUNNING', `after a ${how}`);
          const listed = [];
          for await (const execution of client.workflow.list({ query: `IntegrationId = "restart-check"` }))
            listed.push(execution.workflowId);
          assert.deepEqual(listed, [workflowId], `visibility after a ${how}`);
          assert.equal((await client.schedule.getHandle(scheduleId).describe()).state.paused, true, `the schedule after a ${how}`);
          // The UI server is started again with the server; it lists the run once it has reconnected.
          await waitFor(
            async () => JSON.stringify((await getJson(`${local.uiUrl}/api/v1/namespaces/default/workflows`)).body).includes(workflowId),
            30_000,
            `the Web UI to list the run after a ${how}`,
          );
        } finally {
          await connection.close();
        }
      }
    });
  },
);

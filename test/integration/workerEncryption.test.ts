import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import { parseKeysVariable } from '../../src/security/encryptionKeys';
import { encryptingDataConverter } from '../../src/security/payloadEncryption';
import { ensureTemporalCli } from '../../src/temporal/temporalCli';
import { freePorts } from '../../src/temporal/freePorts';
import { bridge } from '../helpers/bridgeCli';
import { bridgeEnvironment, startSandbox } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { uniqueTaskQueue } from '../helpers/worker';
import { startWorkerProcess, stopWorkers, waitUntilReady, type WorkerProcess } from '../helpers/workerProcesses';
import { productSync } from '../../workflows/productSync';

const run = promisify(execFile);
const keys = `worker-key:${Buffer.alloc(32, 3).toString('base64')}`;

/** The environment of a `bridge` process with no keys anywhere: its own empty data directory, encryption left at its default. */
function withoutKeys(env: Record<string, string>): Record<string, string> {
  const rest = { ...env };
  delete rest.BRIDGE_ENCRYPTION;
  return { ...rest, BRIDGE_ENCRYPTION_KEYS: '', BRIDGE_ENCRYPTION_KEY_FILE: '' };
}

describe('`bridge worker` and payload encryption', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'worker-encryption-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('without keys it refuses to start, says why and what to do, and exits with the configuration exit code', async () => {
    // Nothing listens on this port: the refusal must come before any connection attempt.
    const [closedPort] = await freePorts(1);
    const env = {
      TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}`,
      BRIDGE_DATA_DIR: dir,
      BRIDGE_ENCRYPTION_KEYS: '',
      BRIDGE_ENCRYPTION_KEY_FILE: '',
      BRIDGE_ENCRYPTION: '',
    };
    const refused = await bridge(['worker'], env);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /`bridge worker` found no encryption keys/);
    assert.match(refused.stderr, /plain text\. It did not start\./);
    assert.match(refused.stderr, /BRIDGE_ENCRYPTION_KEYS="<key id>:<base64 key>"/);
    assert.match(refused.stderr, /security: \{ encryption: off \}/);
    assert.doesNotMatch(refused.stderr, /connect|ECONNREFUSED/i, 'it never tried to reach Temporal');
  });

  test('`encryption: off` together with keys is refused as contradictory', async () => {
    const refused = await bridge(['worker'], { BRIDGE_DATA_DIR: dir, BRIDGE_ENCRYPTION: 'off', BRIDGE_ENCRYPTION_KEYS: keys });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /security\.encryption is off, but encryption keys are configured \(BRIDGE_ENCRYPTION_KEYS\)/);
  });

  test('an unknown value of security.encryption is refused with what is allowed', async () => {
    const file = path.join(dir, 'typo.yaml');
    writeFileSync(file, 'security:\n  encryption: of\n');
    const refused = await bridge(['worker'], { BRIDGE_DATA_DIR: dir, BRIDGE_CONFIG: file, BRIDGE_ENCRYPTION: '' });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /security\.encryption: must be 'on' or 'off'/);
  });

  describe('on a real Temporal server', () => {
    const temporal = useTemporalServer();

    test('with keys it starts and the history holds only encrypted payloads; with `security.encryption: off` in the file it starts and stores plain JSON', async () => {
      const sandbox = await startSandbox({ products: 5 });
      const workers: WorkerProcess[] = [];
      try {
        const cli = (await ensureTemporalCli()).path;
        const history = async (workflowId: string) =>
          (await run(cli, ['workflow', 'show', '-w', workflowId, '--address', temporal.env.address, '--output', 'json'])).stdout;
        const productName = String(sandbox.pmsProducts()[0]!.name);

        const encryptedQueue = uniqueTaskQueue('worker-keys');
        const withKeys = { ...withoutKeys(bridgeEnvironment(temporal.env.address, sandbox, encryptedQueue)), BRIDGE_ENCRYPTION_KEYS: keys };
        workers.push(await startWorkerProcess(withKeys));
        await waitUntilReady(workers[0]!);
        const encryptedClient = new Client({
          connection: temporal.env.connection,
          dataConverter: encryptingDataConverter(parseKeysVariable(keys)),
        });
        const encryptedId = `worker-keys-${process.pid}`;
        await encryptedClient.workflow.execute(productSync, { taskQueue: encryptedQueue, workflowId: encryptedId, args: [{}] });
        const encrypted = await history(encryptedId);
        assert.match(decodedData(encrypted), /binary\/encrypted/);
        assert.ok(!decodedData(encrypted).includes(productName), 'no product name is readable in the history');

        const plainQueue = uniqueTaskQueue('worker-off');
        const file = path.join(dir, 'off.yaml');
        writeFileSync(file, 'security:\n  encryption: off\n');
        const off = { ...withoutKeys(bridgeEnvironment(temporal.env.address, sandbox, plainQueue)), BRIDGE_CONFIG: file };
        workers.push(await startWorkerProcess(off));
        await waitUntilReady(workers[1]!);
        // A changed product, so the second run writes it (an unchanged catalog writes nothing).
        const first = sandbox.pmsProducts()[0]!;
        const plainName = `Renamed in plain sight ${process.pid}`;
        await sandbox.putProduct(first.id, { ...first, name: plainName });
        const plainId = `worker-off-${process.pid}`;
        await temporal.env.client.workflow.execute(productSync, {
          taskQueue: plainQueue,
          workflowId: plainId,
          args: [{}],
        });
        const plain = await history(plainId);
        assert.doesNotMatch(decodedData(plain), /binary\/encrypted/);
        assert.ok(decodedData(plain).includes(plainName), 'as configured, the history holds the data in plain JSON');
      } finally {
        stopWorkers(workers);
        await Promise.all(workers.map((worker) => worker.exited));
        await sandbox.close();
      }
    });
  });
});

/** Every payload's `data` and `encoding` in the CLI's history JSON, base64-decoded. */
function decodedData(json: string): string {
  const parts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'data' || key === 'encoding') && typeof value === 'string')
          parts.push(Buffer.from(value, 'base64').toString('latin1'));
        else walk(value);
      }
    }
  };
  walk(JSON.parse(json));
  return parts.join('\n');
}

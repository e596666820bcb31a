import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { createLogger } from '../../src/logging/logger';
import { createCodecServer, type CodecServer } from '../../src/security/codecServer';
import { EncryptionCodec } from '../../src/security/encryptionCodec';
import { parseKeysVariable } from '../../src/security/encryptionKeys';
import { encryptingDataConverter } from '../../src/security/payloadEncryption';
import { ensureTemporalCli } from '../../src/temporal/temporalCli';
import { createBridgeWorker } from '../../src/temporal/worker';
import { startSandbox, testConfig, type TestSandbox } from '../helpers/sandbox';
import { useTemporalServer, workflowBundle } from '../helpers/temporalServer';
import { uniqueTaskQueue } from '../helpers/worker';
import { productSync } from '../../workflows/productSync';

const run = promisify(execFile);
const keyring = parseKeysVariable(`cli-key:${Buffer.alloc(32, 9).toString('base64')}`);
const codecToken = 'codec-cli-test-token';

/** The encryption codec, counting the payloads each direction handled, so a test sees which one the CLI used. */
class CountingCodec extends EncryptionCodec {
  encoded = 0;
  decoded = 0;
  override async encode(payloads: Payload[]): Promise<Payload[]> {
    this.encoded += payloads.length;
    return super.encode(payloads);
  }
  override async decode(payloads: Payload[]): Promise<Payload[]> {
    this.decoded += payloads.length;
    return super.decode(payloads);
  }
}
const codec = new CountingCodec(keyring);

/**
 * The real `temporal` binary (the CLI operators use) reading an encrypted workflow through the
 * codec server, with the flags docs/security.md gives: proto JSON as the CLI sends it, including
 * `{}` for an empty payload list.
 */
describe('the Temporal CLI reads encrypted payloads through the codec server', () => {
  let sandbox: TestSandbox;
  let codecServer: CodecServer;
  let codecUrl: string;
  let worker: Worker;
  let running: Promise<void>;
  let cli: string;
  const workflowId = `codec-cli-${process.pid}`;

  // Registered before the server's own hooks, so the worker stops before the server does.
  after(async () => {
    if (worker) {
      worker.shutdown();
      await running;
    }
    await codecServer?.close();
    await sandbox?.close();
  });
  const temporal = useTemporalServer();

  before(async () => {
    sandbox = await startSandbox({ products: 20 });
    codecServer = createCodecServer({
      codec,
      token: codecToken,
      allowedOrigins: ['http://localhost:8233'],
      logger: createLogger('test-codec', { level: 'silent' }),
    });
    codecUrl = await codecServer.listen();
    const config = testConfig(sandbox, uniqueTaskQueue('codec-cli'));
    const dataConverter = encryptingDataConverter(keyring);
    worker = await createBridgeWorker({
      config,
      connection: temporal.env.nativeConnection,
      logger: createLogger('test-worker', { level: 'silent' }),
      workflowBundle: await workflowBundle(),
      dataConverter,
    });
    running = worker.run();
    const client = new Client({ connection: temporal.env.connection, dataConverter });
    await client.workflow.execute(productSync, { taskQueue: config.temporal.taskQueue, workflowId, args: [{}] });
    cli = (await ensureTemporalCli()).path;
  });

  const temporalCli = async (args: string[], token = codecToken) =>
    run(
      cli,
      [...args, '--address', temporal.env.address, '--codec-endpoint', codecUrl, '--codec-auth', `Bearer ${token}`, '--output', 'json'],
      { maxBuffer: 64 * 1024 * 1024 },
    );

  test('workflow show prints the history with every payload decrypted', async () => {
    const { stdout } = await temporalCli(['workflow', 'show', '--workflow-id', workflowId]);
    const history = JSON.stringify(JSON.parse(stdout));
    assert.doesNotMatch(history, /binary\/encrypted/, 'no payload is left encrypted');
    const names = sandbox.pmsProducts().map((product) => String(product.name));
    const decoded = `${stdout}\n${decodedPayloadText(stdout)}`;
    assert.ok(
      names.some((name) => decoded.includes(name)),
      'the decoded history shows the product names the activities carried',
    );
  });

  test('workflow describe shows the run and its result decrypted', async () => {
    const decodedBefore = codec.decoded;
    const { stdout } = await temporalCli(['workflow', 'describe', '--workflow-id', workflowId]);
    const described = JSON.parse(stdout) as Record<string, unknown>;
    assert.equal((described.workflowExecutionInfo as { status?: string } | undefined)?.status, 'WORKFLOW_EXECUTION_STATUS_COMPLETED');
    assert.doesNotMatch(stdout, /binary\/encrypted/);
    assert.ok(codec.decoded > decodedBefore, 'describe decoded its payloads through the codec server');
    const result = (described as { result?: { status: string; counts: { created: number } } }).result;
    assert.equal(result?.status, 'Completed', 'the decrypted result is the run summary');
    assert.equal(result.counts.created, 20);
  });

  test('workflow query without arguments answers the decrypted progress', async () => {
    const encodedBefore = codec.encoded;
    const { stdout } = await temporalCli(['workflow', 'query', '--workflow-id', workflowId, '--type', 'progress']);
    const answer = JSON.parse(stdout) as { queryResult: Array<{ state: string; integrationId: string; counts: { created: number } }> };
    assert.equal(answer.queryResult[0]!.state, 'Completed');
    assert.equal(answer.queryResult[0]!.integrationId, 'products');
    assert.equal(answer.queryResult[0]!.counts.created, 20);
    assert.equal(codec.encoded, encodedBefore, 'no argument: the CLI posted an empty payload list ({}) to /encode');
  });

  test('workflow query with an argument sends it encrypted and answers decrypted', async () => {
    const encodedBefore = codec.encoded;
    const { stdout } = await temporalCli([
      'workflow',
      'query',
      '--workflow-id',
      workflowId,
      '--type',
      'failures',
      '--input',
      '{"verbose":true}',
    ]);
    const answer = JSON.parse(stdout) as { queryResult: Array<{ integrationId: string; counts: { failed: number } }> };
    assert.equal(answer.queryResult[0]!.integrationId, 'products');
    assert.equal(answer.queryResult[0]!.counts.failed, 0);
    assert.equal(codec.encoded, encodedBefore + 1, 'the argument went through /encode');
  });

  test('with a wrong token the CLI gets the codec server refusal, not data', async () => {
    await assert.rejects(
      temporalCli(['workflow', 'query', '--workflow-id', workflowId, '--type', 'progress'], 'wrong-token'),
      (error: Error) => {
        assert.match(error.message, /Unauthorized.*needs its token/);
        return true;
      },
    );
  });
});

/** Every `data` field of the CLI's JSON, base64-decoded: payloads the CLI did not print as JSON. */
function decodedPayloadText(json: string): string {
  const parts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'data' && typeof value === 'string') parts.push(Buffer.from(value, 'base64').toString('utf8'));
        else walk(value);
      }
    }
  };
  walk(JSON.parse(json));
  return parts.join('\n');
}

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { defaultFieldMapping } from '../../src/domain/fieldMapping';
import { createLogger } from '../../src/logging/logger';
import { generateProducts } from '../../src/sandbox/seed';
import { failuresQuery } from '../../src/shared/messages';
import { createCodecServer } from '../../src/security/codecServer';
import { EncryptionCodec } from '../../src/security/encryptionCodec';
import { parseKeysVariable } from '../../src/security/encryptionKeys';
import { encryptingDataConverter } from '../../src/security/payloadEncryption';
import { ensureTemporalCli } from '../../src/temporal/temporalCli';
import { freePorts } from '../../src/temporal/freePorts';
import { bridgeEnvironment, startSandbox } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { uniqueTaskQueue } from '../helpers/worker';
import { waitFor } from '../helpers/workerProcesses';
import { productSync } from '../../workflows/productSync';

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '../..');
const keys = `privacy-key:${Buffer.alloc(32, 5).toString('base64')}`;
const codecToken = 'privacy-codec-token';

/** What a customer's name, e-mail and phone look like inside a product text the CRM refuses and echoes. */
const customer = { name: 'Jane Roe-Okafor', email: 'jane.roe-okafor@example.com', phone: '+44 20 7946 0958' };
const customerValues = Object.values(customer);

/** A stand-in for Slack's incoming webhook: keeps what it is sent. */
async function chatReceiver(): Promise<{ url: string; posts: string[]; server: Server }> {
  const posts: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      posts.push(body);
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}/services/T000/B000/secret`, posts, server };
}

/**
 * Where a decoded history may legitimately hold the record's own content: the inputs of the write
 * and verify steps and the pages the fetch steps read. Nowhere else (failures, outcomes, the run's
 * result or failure) may a refused record's value appear.
 */
const recordCarriers = new Set(['fetchProductChanges', 'fetchProductsByIds', 'upsertProducts', 'verifyProducts']);

function leaksOutsideRecordData(history: { events: Array<Record<string, unknown>> }, value: string): string[] {
  const activityOf = new Map<string, string>();
  const leaks: string[] = [];
  for (const event of history.events) {
    const scheduled = event.activityTaskScheduledEventAttributes as { activityType?: { name: string } } | undefined;
    if (scheduled) activityOf.set(String(event.eventId), scheduled.activityType?.name ?? '');
    const completed = event.activityTaskCompletedEventAttributes as { scheduledEventId?: string } | undefined;
    const carrier =
      (scheduled && recordCarriers.has(scheduled.activityType?.name ?? '')) ||
      (completed && activityOf.get(String(completed.scheduledEventId))?.startsWith('fetch'));
    for (const [key, attributes] of Object.entries(event)) {
      if (!key.endsWith('EventAttributes')) continue;
      const allowed = carrier ? (scheduled ? ['input'] : ['result']) : [];
      for (const [field, content] of Object.entries(attributes as Record<string, unknown>)) {
        if (allowed.includes(field)) continue;
        if (readable(content).includes(value)) leaks.push(`event ${String(event.eventId)} ${key}.${field}`);
      }
    }
  }
  return leaks;
}

/** The JSON as printed, plus every base64 `data` decoded (payloads the CLI did not print as JSON). */
function readable(node: unknown): string {
  const parts = [JSON.stringify(node)];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'data' && typeof inner === 'string') parts.push(Buffer.from(inner, 'base64').toString('utf8'));
        else walk(inner);
      }
    }
  };
  walk(node);
  return parts.join('\n');
}

describe('a record the CRM refuses, echoing its values', () => {
  const temporal = useTemporalServer();

  test('leaves none of its values in the failure reasons, the decoded history, the worker log or the chat alert; the code, field and message stay', async () => {
    const sandbox = await startSandbox({ products: 0 });
    const chat = await chatReceiver();
    const codecServer = createCodecServer({
      codec: new EncryptionCodec(parseKeysVariable(keys)),
      token: codecToken,
      allowedOrigins: [],
      logger: createLogger('test-codec', { level: 'silent' }),
    });
    const codecUrl = await codecServer.listen();
    const output: string[] = [];
    let worker: ReturnType<typeof spawn> | undefined;
    try {
      // 30 products whose description names a customer; the mapping sends the description into the
      // CRM's `currency` (a mapping mistake), which the CRM refuses, quoting the value it got.
      for (const [index, product] of generateProducts(30, 17).entries()) {
        await sandbox.putProduct(product.id, {
          ...product,
          description: `Custom build for ${customer.name}, ${customer.email}, ${customer.phone} (order ${index})`,
        });
      }
      const taskQueue = uniqueTaskQueue('privacy');
      const configFile = path.join(sandbox.dir, 'bridge.yaml');
      writeFileSync(
        configFile,
        JSON.stringify({
          productSyncs: [
            {
              id: 'products',
              source: 'pms',
              target: 'crm',
              mapping: { ...defaultFieldMapping, currency: 'description' },
            },
          ],
        }),
      );
      const [healthPort] = await freePorts(1);
      const env = bridgeEnvironment(temporal.env.address, sandbox, taskQueue);
      delete env.BRIDGE_ENCRYPTION; // encrypted, as in production
      worker = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', 'worker'], {
        cwd: repoRoot,
        env: {
          ...process.env,
          ...env,
          BRIDGE_ENCRYPTION_KEYS: keys,
          BRIDGE_CONFIG: configFile,
          BRIDGE_ALERT_WEBHOOK_URL: chat.url,
          BRIDGE_HEALTH_PORT: String(healthPort),
          LOG_LEVEL: 'debug',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      worker.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      worker.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined))?.status === 200,
        120_000,
        'the worker to be ready',
      );

      const client = new Client({ connection: temporal.env.connection, dataConverter: encryptingDataConverter(parseKeysVariable(keys)) });
      const workflowId = `privacy-${process.pid}`;
      // Nobody answers the stop: after 3 s the run ends Failed, with the reason in its failure message.
      const handle = await client.workflow.start(productSync, { taskQueue, workflowId, args: [{ attention: { timeoutMs: 3_000 } }] });
      const failure = await handle.result().then(
        () => assert.fail('the run should stop for an operator and time out'),
        (error: unknown) => error,
      );
      assert.ok(failure instanceof WorkflowFailedError);
      const runFailure = String(failure.cause?.message);
      assert.match(
        runFailure,
        /Nobody answered within .* last reason: CRM refused the record: .*currency must be a three-letter ISO 4217 code/,
      );

      const report = await handle.query(failuresQuery);
      assert.equal(report.counts.failed, 30);
      for (const { reason } of report.failed) {
        assert.match(
          reason,
          /^CRM refused the record: CRM refused POST \/api\/products\/batch\/upsert with 400: VALIDATION_ERROR: Batch refused: input 0 \(externalId P-\d+\): currency must be a three-letter ISO 4217 code.*\(got "…"\)/,
        );
      }

      await waitFor(async () => chat.posts.length > 0, 30_000, 'the chat alert');
      const alert = (JSON.parse(chat.posts[0]!) as { text: string }).text;
      assert.match(alert, /needs attention/);
      assert.match(
        alert,
        /VALIDATION_ERROR: .*currency must be a three-letter ISO 4217 code/,
        'the alert keeps the code, the field and the message',
      );

      const cli = (await ensureTemporalCli()).path;
      const decoded = JSON.parse(
        (
          await run(
            cli,
            [
              'workflow',
              'show',
              '-w',
              workflowId,
              '--address',
              temporal.env.address,
              '--output',
              'json',
              '--codec-endpoint',
              codecUrl,
              '--codec-auth',
              `Bearer ${codecToken}`,
            ],
            { maxBuffer: 64 * 1024 * 1024 },
          )
        ).stdout,
      ) as { events: Array<Record<string, unknown>> };
      assert.ok(readable(decoded).includes(customer.email), 'the decoded history does carry the record itself (the write step input)');

      worker.kill('SIGTERM');
      await new Promise((resolve) => worker!.once('exit', resolve));
      const log = output.join('');
      assert.match(log, /sync needs attention/, 'the worker logged the stop');

      for (const value of customerValues) {
        assert.ok(!runFailure.includes(value), `"${value}" in the run's failure`);
        for (const { reason } of report.failed) assert.ok(!reason.includes(value), `"${value}" in a failure reason`);
        assert.ok(!chat.posts.join('\n').includes(value), `"${value}" in the chat alert`);
        assert.deepEqual(leaksOutsideRecordData(decoded, value), [], `"${value}" in the decoded history outside the record's own data`);
        assert.ok(!log.includes(value), `"${value}" in the worker log`);
      }
    } finally {
      if (worker && worker.exitCode === null) worker.kill('SIGKILL');
      await codecServer.close();
      await new Promise((resolve) => chat.server.close(resolve));
      await sandbox.close();
    }
  });
});

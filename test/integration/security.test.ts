import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { createLogger, type Logger } from '../../src/logging/logger';
import { createCodecServer } from '../../src/security/codecServer';
import { EncryptionCodec } from '../../src/security/encryptionCodec';
import { parseKeysVariable } from '../../src/security/encryptionKeys';
import { encryptingDataConverter } from '../../src/security/payloadEncryption';
import { ensureTemporalCli } from '../../src/temporal/temporalCli';
import { createBridgeWorker } from '../../src/temporal/worker';
import { crmToken, pmsToken, startSandbox, testConfig } from '../helpers/sandbox';
import { useTemporalServer, workflowBundle } from '../helpers/temporalServer';
import { uniqueTaskQueue } from '../helpers/worker';
import { demandMapping } from '../../workflows/demandMapping';
import { productSync } from '../../workflows/productSync';

const run = promisify(execFile);
const keyring = parseKeysVariable(`test-key:${Buffer.alloc(32, 7).toString('base64')}`);
const codecToken = 'codec-test-token';
const uiOrigin = 'http://localhost:8233';
const silent = createLogger('test-codec', { level: 'silent' });

/**
 * The history as a person could read it: the CLI's JSON with every payload's base64 data (and
 * metadata) decoded, so a check for a name cannot be fooled by base64.
 */
function readable(historyJson: string): string {
  const parts: string[] = [historyJson];
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
  walk(JSON.parse(historyJson));
  return parts.join('\n');
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** A payload as the Web UI sends it: proto JSON, bytes in base64. */
async function encryptedJsonPayload(value: unknown) {
  const [payload] = await new EncryptionCodec(keyring).encode([defaultPayloadConverter.toPayload(value)]);
  return {
    metadata: Object.fromEntries(Object.entries(payload!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(payload!.data!).toString('base64'),
  };
}

/** Runs `use` against a codec server for the Web UI's origin, and closes it after. */
async function withCodecServer(use: (url: string) => Promise<void>, logger: Logger = silent): Promise<void> {
  const server = createCodecServer({ codec: new EncryptionCodec(keyring), token: codecToken, allowedOrigins: [uiOrigin], logger });
  const url = await server.listen();
  try {
    await use(url);
  } finally {
    await server.close();
  }
}

describe('codec server', () => {
  test('decodes for the Web UI origin with the token in the path, and answers its CORS preflight', async () => {
    await withCodecServer(async (url) => {
      const preflight = await fetch(`${url}/t/${codecToken}/decode`, {
        method: 'OPTIONS',
        headers: { origin: uiOrigin, 'access-control-request-method': 'POST' },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), uiOrigin);
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /x-namespace/);

      const answer = await post(
        `${url}/t/${codecToken}/decode`,
        { payloads: [await encryptedJsonPayload({ name: 'Acme' })] },
        { origin: uiOrigin, 'x-namespace': 'default' },
      );
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('access-control-allow-origin'), uiOrigin);
      const decoded = (answer.body as { payloads: Array<{ data: string }> }).payloads[0]!;
      assert.equal(Buffer.from(decoded.data, 'base64').toString(), '{"name":"Acme"}');
    });
  });

  test('takes proto3 JSON as the CLI posts it: {} is an empty payload list, a payload of {} is empty, x-namespace may be empty', async () => {
    await withCodecServer(async (url) => {
      const auth = { authorization: `Bearer ${codecToken}`, 'x-namespace': '' };
      const empty = await post(`${url}/encode`, {}, auth);
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body, { payloads: [] });
      const emptyPayload = await post(`${url}/decode`, { payloads: [{}] }, auth);
      assert.equal(emptyPayload.status, 200);
      assert.deepEqual(emptyPayload.body, { payloads: [{ metadata: {}, data: '' }] });
      const notPayloads = await post(`${url}/decode`, { payloads: 'x' }, auth);
      assert.equal(notPayloads.status, 400, 'a body that is not Payloads is still refused');
    });
  });

  test('answers by the end of the path only, as the protocol asks, so it can sit under a proxy prefix', async () => {
    await withCodecServer(async (url) => {
      const body = { payloads: [await encryptedJsonPayload({ name: 'Acme' })] };
      const underPrefix = await post(`${url}/codec/t/${codecToken}/decode`, body, { origin: uiOrigin });
      assert.equal(underPrefix.status, 200);
      const decoded = (underPrefix.body as { payloads: Array<{ data: string }> }).payloads[0]!;
      assert.equal(Buffer.from(decoded.data, 'base64').toString(), '{"name":"Acme"}');
      assert.equal((await post(`${url}/a/b/encode`, {}, { authorization: `Bearer ${codecToken}` })).status, 200);
      assert.equal((await post(`${url}/codec/t/wrong/decode`, body)).status, 401);
      assert.equal((await post(`${url}/codec/t/${codecToken}/decrypt`, body)).status, 404);
    });
  });

  test('refuses a request without the token (401) and one from another origin (403, no CORS grant)', async () => {
    await withCodecServer(async (url) => {
      const body = { payloads: [await encryptedJsonPayload({ name: 'Acme' })] };
      const noToken = await post(`${url}/decode`, body);
      assert.equal(noToken.status, 401);
      assert.doesNotMatch(JSON.stringify(noToken.body), /Acme/);
      assert.equal((await post(`${url}/t/wrong-token/decode`, body)).status, 401);

      const otherOrigin = await post(`${url}/decode`, body, { origin: 'https://evil.example', authorization: `Bearer ${codecToken}` });
      assert.equal(otherOrigin.status, 403);
      assert.equal(otherOrigin.headers.get('access-control-allow-origin'), null);
      assert.match(JSON.stringify(otherOrigin.body), /may not use this codec server/);

      assert.equal(
        (await post(`${url}/decode`, body, { authorization: `Bearer ${codecToken}` })).status,
        200,
        'the CLI, with no Origin, uses the header',
      );
    });
  });
});

test('the codec server never writes its token to the log, even with the token in the URL path', async () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  await withCodecServer(
    async (url) => {
      assert.equal((await post(`${url}/t/${codecToken}/decode`, { payloads: [] }, { origin: uiOrigin })).status, 200);
    },
    createLogger('codec', { level: 'trace', destination }),
  );
  assert.ok(lines.length > 0, 'the request was logged');
  assert.ok(!lines.join('').includes(codecToken));
});

describe('encrypted payloads on a real Temporal server', () => {
  const temporal = useTemporalServer();

  test('a full demand mapping run leaves no customer data or credential readable in the raw history; the codec server shows it, and the logs hold none of it', async () => {
    const sandbox = await startSandbox({ products: 500, customers: true });
    const codecServer = createCodecServer({
      codec: new EncryptionCodec(keyring),
      token: codecToken,
      allowedOrigins: [uiOrigin],
      logger: silent,
    });
    const codecUrl = await codecServer.listen();
    const logLines: string[] = [];
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    try {
      // Contact fields are sent on purpose here, so the history really carries personal data.
      const config = testConfig(sandbox, uniqueTaskQueue('encrypted'), {
        logLevel: 'debug',
        demandSyncs: [{ id: 'demands', crm: 'crm', pms: 'pms', contactFields: ['name', 'email', 'phone'] }],
      });
      const dataConverter = encryptingDataConverter(keyring);
      const client = new Client({ connection: temporal.env.connection, dataConverter });
      const worker = await createBridgeWorker({
        config,
        connection: temporal.env.nativeConnection,
        logger: createLogger('captured', { level: 'debug', destination: capture }),
        workflowBundle: await workflowBundle(),
        dataConverter,
      });
      const workflowId = `encrypted-demands-${Date.now()}`;
      await worker.runUntil(async () => {
        await client.workflow.execute(productSync, {
          taskQueue: config.temporal.taskQueue,
          workflowId: `${workflowId}-products`,
          args: [{}],
        });
        await client.workflow.execute(demandMapping, { taskQueue: config.temporal.taskQueue, workflowId, args: [{}] });
      });

      const cli = (await ensureTemporalCli()).path;
      const show = ['workflow', 'show', '--workflow-id', workflowId, '--address', temporal.env.address, '--output', 'json'];
      const raw = readable((await run(cli, show, { maxBuffer: 64 * 1024 * 1024 })).stdout);
      const decoded = readable(
        (await run(cli, [...show, '--codec-endpoint', codecUrl, '--codec-auth', `Bearer ${codecToken}`], { maxBuffer: 64 * 1024 * 1024 }))
          .stdout,
      );
      assert.match(raw, /binary\/encrypted/, 'the raw history holds encrypted payloads');

      const contacts = sandbox.crm.customers.allContacts();
      const accounts = sandbox.crm.customers.all('accounts');
      const secrets = [
        pmsToken,
        crmToken,
        codecToken,
        ...contacts.flatMap((c) => [c.name, c.email, c.phone]),
        ...accounts.map((a) => a.name),
      ];
      for (const secret of secrets) assert.ok(!raw.includes(secret), `"${secret}" is readable in the raw history`);
      assert.ok(
        contacts.some((c) => decoded.includes(c.email)),
        'through the codec server the history shows the contact data',
      );
      assert.ok(accounts.some((a) => decoded.includes(a.name)));

      const log = logLines.join('');
      assert.ok(log.length > 0, 'the worker logged');
      for (const secret of [pmsToken, crmToken, ...contacts.flatMap((c) => [c.email, c.phone])]) {
        assert.ok(!log.includes(secret), `"${secret}" appears in the log`);
      }
    } finally {
      await codecServer.close();
      await sandbox.close();
    }
  });
});

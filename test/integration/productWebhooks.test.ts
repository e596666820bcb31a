import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { createLogger } from '../../src/logging/logger';
import { generateProducts } from '../../src/sandbox/seed';
import type { ProductChangeEvent } from '../../src/webhooks/productChangeEvent';
import {
  changeStreamWorkflowId,
  createProductWebhookReceiver,
  webhookPath,
  type ProductWebhookReceiver,
} from '../../src/webhooks/productWebhookReceiver';
import { signDelivery } from '../../src/webhooks/webhookSignature';
import { streamProgressQuery } from '../../src/shared/messages';
import { startSandbox, testConfig, type TestSandbox } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { createTestWorker, uniqueTaskQueue } from '../helpers/worker';

const secret = 'test-webhook-secret-0123456789';
const integrationId = 'products';

/** Polls until `probe` returns a value, or fails after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('event-driven product sync', () => {
  const temporal = useTemporalServer();
  // A nested suite, so its worker stops before the outer suite tears the server down.
  describe('PMS webhooks through productChangeStream', () => {
    let sandbox: TestSandbox;
    let receiver: ProductWebhookReceiver;
    let receiverUrl: string;
    let worker: Worker;
    let running: Promise<void>;
    const [first, second, third] = generateProducts(3, 99);

    const crmPrice = (id: string): number | undefined => {
      const value = sandbox.crm.store.readByExternalIds([id])[0]?.properties.price;
      return typeof value === 'number' ? value : undefined;
    };
    const deliver = (body: string, headers: Record<string, string>, path = webhookPath(integrationId)) =>
      fetch(`${receiverUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const signedEvent = (event: ProductChangeEvent) => {
      const body = JSON.stringify(event);
      return deliver(body, signDelivery(secret, body));
    };
    const stream = () => temporal.env.client.workflow.getHandle(changeStreamWorkflowId(integrationId));

    before(async () => {
      sandbox = await startSandbox();
      const config = testConfig(sandbox, uniqueTaskQueue('webhooks'));
      receiver = createProductWebhookReceiver({
        secret,
        client: temporal.env.client,
        taskQueue: config.temporal.taskQueue,
        streams: new Map([[integrationId, { windowMs: 300, maxBatch: 100 }]]),
        logger: createLogger('test-webhooks', { level: 'silent' }),
      });
      receiverUrl = await receiver.listen(0);
      sandbox.pms.webhooks.configure({ url: `${receiverUrl}${webhookPath(integrationId)}`, secret });
      worker = await createTestWorker(temporal.env, config);
      running = worker.run();
    });

    after(async () => {
      worker.shutdown();
      await running;
      await receiver.close();
      await sandbox.close();
    });

    test('a product written in the PMS reaches the CRM through the webhook, with no scheduled run', async () => {
      await sandbox.putProduct(first!.id, first!);
      await until('the new product in the CRM', () => crmPrice(first!.id));
      await sandbox.putProduct(first!.id, { ...first!, price: { amount: 123.45, currency: 'EUR' } });
      await until('the new price in the CRM', () => (crmPrice(first!.id) === 123.45 ? true : undefined));
      const description = await stream().describe();
      assert.equal(description.type, 'productChangeStream');
      assert.equal(description.status.name, 'RUNNING');
    });

    test('duplicate and out-of-order deliveries converge to the latest value, written once', async () => {
      sandbox.pms.webhooks.configure(null);
      await sandbox.putProduct(second!.id, { ...second!, price: { amount: 10, currency: 'EUR' } });
      await sandbox.putProduct(second!.id, { ...second!, price: { amount: 20, currency: 'EUR' } });
      const [v2] = sandbox.pms.store.getMany([second!.id]);
      const v1At = new Date(Date.parse(v2!.updatedAt) - 1).toISOString();
      const event = (updatedAt: string, eventId: string): ProductChangeEvent => ({
        type: 'product.changed',
        eventId,
        product: { id: second!.id, updatedAt, deleted: false },
      });
      await sandbox.resetCrmStats();

      // The newer change first, then the older one, then the newer one again (a sender's retry of
      // the same delivery: acknowledged, not handed over again).
      const statuses: number[] = [];
      for (const delivery of [event(v2!.updatedAt, 'e-2'), event(v1At, 'e-1'), event(v2!.updatedAt, 'e-2')]) {
        statuses.push((await signedEvent(delivery)).status);
      }
      assert.deepEqual(statuses, [202, 202, 200]);
      await until('the latest price in the CRM', () => (crmPrice(second!.id) === 20 ? true : undefined));
      const batchesBefore = (await stream().query(streamProgressQuery)).totals.batches;

      // The old change announced once more, long after (a new delivery): it reads the product again and writes nothing.
      assert.equal((await signedEvent(event(v1At, 'e-1-again'))).status, 202);
      await until('the late delivery to be processed', async () =>
        (await stream().query(streamProgressQuery)).totals.batches > batchesBefore ? true : undefined,
      );
      assert.equal(crmPrice(second!.id), 20);
      const stats = await sandbox.crmStats();
      assert.equal(stats.recordsCreated + stats.recordsUpdated, 1, 'the product was written exactly once');
      sandbox.pms.webhooks.configure({ url: `${receiverUrl}${webhookPath(integrationId)}`, secret });
    });

    test('a delivery with a wrong or missing signature is refused with 401 and changes nothing', async () => {
      const signalsBefore = (await stream().query(streamProgressQuery)).totals.signals;
      const body = JSON.stringify({
        type: 'product.changed',
        eventId: 'e-x',
        product: { id: third!.id, updatedAt: '2026-11-24T10:00:00.000Z', deleted: false },
      });
      const forged = await deliver(body, signDelivery('not-the-shared-secret', body));
      assert.equal(forged.status, 401);
      assert.match(((await forged.json()) as { message: string }).message, /signature does not match/);
      const unsigned = await deliver(body, {});
      assert.equal(unsigned.status, 401);
      assert.match(((await unsigned.json()) as { message: string }).message, /missing x-bridge-signature/);
      const replayed = await deliver(body, signDelivery(secret, body, Date.now() - 10 * 60_000));
      assert.equal(replayed.status, 401);
      assert.match(((await replayed.json()) as { message: string }).message, /replay/);
      assert.equal((await stream().query(streamProgressQuery)).totals.signals, signalsBefore, 'no refused delivery reached the workflow');
    });

    test('the signature is checked before the integration: an unsigned request to an unknown integration gets the same 401 as to a known one', async () => {
      const body = JSON.stringify({ type: 'product.changed', eventId: 'e-probe', product: { id: 'P-1', updatedAt: 'x', deleted: false } });
      for (const headers of [{}, signDelivery('not-the-shared-secret', body)]) {
        const known = await deliver(body, headers);
        const unknown = await deliver(body, headers, webhookPath('no-such-integration'));
        assert.equal(known.status, 401);
        assert.equal(unknown.status, 401, 'an unknown integration is not revealed to an unsigned sender');
        assert.deepEqual(await unknown.json(), await known.json(), 'both answers are the same, byte for byte');
      }
    });

    test('a delivery replayed, retried or sent concurrently within the tolerance window reaches the workflow once', async () => {
      const signals = async () => (await stream().query(streamProgressQuery)).totals.signals;
      const body = JSON.stringify({
        type: 'product.changed',
        eventId: `e-once-${process.pid}`,
        product: { id: third!.id, updatedAt: '2026-11-24T10:00:00.000Z', deleted: false },
      });
      const signalsBefore = await signals();
      const headers = signDelivery(secret, body);
      assert.equal((await deliver(body, headers)).status, 202);

      const replay = await deliver(body, headers);
      assert.equal(replay.status, 200);
      assert.deepEqual(await replay.json(), { accepted: false, duplicate: true, workflowId: changeStreamWorkflowId(integrationId) });
      assert.equal(
        (await deliver(body, signDelivery(secret, body, Date.now() + 1000))).status,
        200,
        'a re-signed retry of the same id too',
      );

      const concurrentBody = JSON.stringify({ ...(JSON.parse(body) as object), eventId: `e-concurrent-${process.pid}` });
      const concurrentHeaders = signDelivery(secret, concurrentBody);
      const concurrent = await Promise.all(Array.from({ length: 5 }, () => deliver(concurrentBody, concurrentHeaders)));
      assert.deepEqual(concurrent.map((answer) => answer.status).sort(), [200, 200, 200, 200, 202]);

      await until('the two accepted deliveries to reach the workflow', async () =>
        (await signals()) >= signalsBefore + 2 ? true : undefined,
      );
      await sleep(500);
      assert.equal(await signals(), signalsBefore + 2, 'one signal per delivery id');
    });

    test('after the tolerance window the same bytes are refused as too old, and a freshly signed delivery of that id is accepted again', async () => {
      let clock = Date.now();
      const ownReceiver = createProductWebhookReceiver({
        secret,
        client: temporal.env.client,
        taskQueue: uniqueTaskQueue('webhooks-clock'),
        streams: new Map([['clocked', { windowMs: 300, maxBatch: 100 }]]),
        toleranceMs: 60_000,
        nowMs: () => clock,
        logger: createLogger('test-webhooks', { level: 'silent' }),
      });
      const url = await ownReceiver.listen(0);
      try {
        const post = (body: string, headers: Record<string, string>) =>
          fetch(`${url}${webhookPath('clocked')}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
        const body = JSON.stringify({
          type: 'product.changed',
          eventId: 'e-window',
          product: { id: 'P-1', updatedAt: 'x', deleted: false },
        });
        const headers = signDelivery(secret, body, clock);
        assert.equal((await post(body, headers)).status, 202);
        clock += 59_000;
        assert.equal((await post(body, headers)).status, 200, 'inside the window: a duplicate');
        clock += 2_000;
        const stale = await post(body, headers);
        assert.equal(stale.status, 401, 'past the window the signature is too old');
        assert.match(((await stale.json()) as { message: string }).message, /possible replay/);
        assert.equal((await post(body, signDelivery(secret, body, clock))).status, 202, 'the sender re-signed it later: handed over again');
      } finally {
        await ownReceiver.close();
        await temporal.env.client.workflow.getHandle(changeStreamWorkflowId('clocked')).terminate('test over');
      }
    });

    test('a signed delivery that is not a product change event is refused with 400, an unknown integration with 404', async () => {
      const body = JSON.stringify({ type: 'product.changed', product: { id: '' } });
      const answer = await deliver(body, signDelivery(secret, body));
      assert.equal(answer.status, 400);
      assert.match(((await answer.json()) as { message: string }).message, /not a product change event: .*eventId/);
      const valid = JSON.stringify({ type: 'product.changed', eventId: 'e-y', product: { id: 'P-1', updatedAt: 'x', deleted: false } });
      const unknown = await deliver(valid, signDelivery(secret, valid), webhookPath('nope'));
      assert.equal(unknown.status, 404);
    });
  });
});

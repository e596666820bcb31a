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
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { pauseUpdate, progressQuery, resumeUpdate, streamProgressQuery } from '../../src/shared/messages';
import { syncStatusKey } from '../../src/shared/searchAttributes';
import { streamSettings } from '../../src/webhooks/webhookReceiverFromConfig';
import { startSandbox, testConfig, type TestSandbox } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { createTestWorker, runProductSync, uniqueTaskQueue } from '../helpers/worker';

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
  // A mirror-mode integration with a small change guard: 10% of the CRM's records an hour.
  describe('PMS webhooks in mirror mode, under the change guard', () => {
    const mirrorId = 'mirror';
    let sandbox: TestSandbox;
    let receiver: ProductWebhookReceiver;
    let receiverUrl: string;
    let worker: Worker;
    let running: Promise<void>;
    const stream = () => temporal.env.client.workflow.getHandle(changeStreamWorkflowId(mirrorId));
    const totals = async () => (await stream().query(streamProgressQuery)).totals;
    const crmRecord = (id: string) => sandbox.crm.store.getByExternalId(id);
    /** The PMS products the CRM holds live records of. */
    const synced = () =>
      sandbox.crm.store
        .all()
        .filter((record) => !record.archived)
        .map((record) => sandbox.pms.store.get(record.externalId)!);

    before(async () => {
      sandbox = await startSandbox({ products: 30 });
      const config = testConfig(sandbox, uniqueTaskQueue('webhooks-mirror'), {
        productSyncs: [{ id: mirrorId, source: 'pms', target: 'crm', mode: 'mirror', guard: { maxChangeShare: 0.1, minRecords: 10 } }],
        webhooks: { windowMs: 1500 },
      });
      const first = await runProductSync(temporal.env, config, { integrationId: mirrorId, mode: 'mirror' });
      // The seed has discontinued and invalid products, which mirror mode does not create.
      assert.equal(first.counts.created, sandbox.crm.store.count({ includeArchived: false }));
      receiver = createProductWebhookReceiver({
        secret,
        client: temporal.env.client,
        taskQueue: config.temporal.taskQueue,
        // The settings bridge serve hands the stream: the sync's mode and guard, the webhooks' window.
        streams: streamSettings(config),
        logger: createLogger('test-webhooks', { level: 'silent' }),
      });
      receiverUrl = await receiver.listen(0);
      sandbox.pms.webhooks.configure({ url: `${receiverUrl}${webhookPath(mirrorId)}`, secret });
      worker = await createTestWorker(temporal.env, config);
      running = worker.run();
    });

    after(async () => {
      await stream().terminate('test over');
      worker.shutdown();
      await running;
      await receiver.close();
      await sandbox.close();
    });

    test('a product deleted in the PMS is archived in the CRM through its webhook (deleted: true), and counted as archived', async () => {
      const [deleted] = synced();
      await sandbox.pmsApi('DELETE', `/api/products/${deleted!.id}`);
      await until('the deleted product archived in the CRM', () => (crmRecord(deleted!.id)?.archived ? true : undefined));
      const counted = await until('the archive counted', async () => ((await totals()).archived === 1 ? await totals() : undefined));
      assert.equal(counted.written, 0, 'an archive is not counted as a write');
    });

    test('an announced product the PMS no longer returns (gone without a deletion flag) is archived', async () => {
      const [gone] = synced();
      // The sandbox knob for a source that never reports deletions: the product simply vanishes.
      assert.deepEqual(await sandbox.pmsApi('POST', '/_admin/products/purge', { ids: [gone!.id] }), { purged: 1 });
      const body = JSON.stringify({
        type: 'product.changed',
        eventId: `e-gone-${process.pid}`,
        product: { id: gone!.id, updatedAt: new Date().toISOString(), deleted: false },
      });
      const answer = await fetch(`${receiverUrl}${webhookPath(mirrorId)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signDelivery(secret, body) },
        body,
      });
      assert.equal(answer.status, 202);
      await until('the vanished product archived in the CRM', () => (crmRecord(gone!.id)?.archived ? true : undefined));
      await until('the archive counted', async () => ((await totals()).archived === 2 ? true : undefined));
    });

    test('a burst of changes past the guard waits for an operator (NeedsAttention), writes nothing meanwhile, and goes on after the go-ahead', async () => {
      const burst = synced().slice(5, 10);
      const priceOf = (id: string) => crmRecord(id)?.properties.price;
      const before = burst.map((product) => priceOf(product.id));
      const writtenBefore = (await totals()).written;
      await sandbox.resetCrmStats();
      for (const product of burst) await sandbox.putProduct(product.id, { ...product, price: { amount: 7.77, currency: 'EUR' } });

      const progress = await until('the stream to stop for attention', async () => {
        const now = await stream().query(progressQuery);
        return now.state === 'NeedsAttention' ? now : undefined;
      });
      // Two archives in the last hour already; 5 more updates would pass 2 (10% of the 28 records, rounded down).
      assert.match(
        String(progress.attentionReason),
        /^Change guard: batch \d+ would take the updates and archives of the last 1 h past 10% of the CRM's 28 products \(2 done, 5 more in batch \d+\)\. Nothing of batch \d+ was written\./,
      );
      assert.equal((await stream().describe()).typedSearchAttributes.get(syncStatusKey), 'NeedsAttention', 'the UI can filter on it');
      assert.deepEqual(
        burst.map((product) => priceOf(product.id)),
        before,
        'nothing of the burst was written',
      );
      assert.equal((await sandbox.crmStats()).upsertRequests, 0);
      const pause = await stream()
        .executeUpdate(pauseUpdate)
        .then(
          () => 'accepted',
          (error: unknown) => (error instanceof WorkflowUpdateFailedError ? String(error.cause?.message) : String(error)),
        );
      assert.match(pause, /^pause refused: the run is already stopped for attention \(Change guard: /);

      assert.match(await stream().executeUpdate(resumeUpdate), /^resuming: the step that stopped \(Change guard: batch/);
      await until('the burst in the CRM', () => (burst.every((product) => priceOf(product.id) === 7.77) ? true : undefined));
      await until('the burst verified and counted', async () => ((await totals()).written === writtenBefore + 5 ? true : undefined));
      assert.equal((await stream().query(progressQuery)).state, 'Running');
      assert.equal((await stream().describe()).typedSearchAttributes.get(syncStatusKey), 'Running');
    });
  });
});

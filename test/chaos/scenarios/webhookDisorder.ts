import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../../src/logging/logger';
import type { Prng } from '../../../src/sandbox/prng';
import { generateProducts } from '../../../src/sandbox/seed';
import { changeStreamWorkflowId, createProductWebhookReceiver, webhookPath } from '../../../src/webhooks/productWebhookReceiver';
import type { ProductSyncSummary } from '../../../src/shared/productSyncContract';
import type { TestSandbox } from '../../helpers/sandbox';
import { checkProducts, violationCount } from '../invariants';
import { onStage, patientRetry, resultOf, startProductSync, waitUntil, type ChaosScenario } from '../scenario';

const sizes = { short: { products: 300, changes: 150 }, full: { products: 2_000, changes: 1_000 } };
const secret = 'chaos-webhook-secret-0123456789';

/**
 * Stands between the PMS and the receiver like a flaky delivery network: answers the PMS at once,
 * then delivers each webhook one to three times, each copy after its own random delay, so copies
 * arrive twice and out of order. Signatures are passed on untouched.
 */
async function disorderlyRelay(target: string, prng: Prng) {
  const counts = { received: 0, forwarded: 0, duplicates: 0, overtaken: 0 };
  const inFlight = new Set<Promise<void>>();
  let received = 0;
  let newestForwarded = 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      response.writeHead(202).end();
      counts.received += 1;
      const order = ++received;
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(([key]) => key.startsWith('x-') || key === 'content-type'),
      ) as Record<string, string>;
      const copies = prng.int(1, 3);
      counts.duplicates += copies - 1;
      for (let copy = 0; copy < copies; copy++) {
        const delay = prng.int(0, 1_500);
        const delivery = (async () => {
          await sleep(delay);
          if (newestForwarded > order) counts.overtaken += 1;
          newestForwarded = Math.max(newestForwarded, order);
          await fetch(target, { method: 'POST', headers, body: Buffer.concat(chunks) }).then((r) => r.arrayBuffer());
          counts.forwarded += 1;
        })().finally(() => inFlight.delete(delivery));
        inFlight.add(delivery);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    idle: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Changes in quick succession, several to the same few products, and a new product every 20th. */
async function changeProducts(sandbox: TestSandbox, prng: Prng, size: { products: number; changes: number }, seed: number): Promise<void> {
  const fresh = generateProducts(Math.ceil(size.changes / 20), seed, size.products + 1);
  for (let change = 0; change < size.changes; change++) {
    const newProduct = change % 20 === 0 ? fresh.shift() : undefined;
    if (newProduct) await sandbox.putProduct(newProduct.id, newProduct);
    else {
      const id = `P-${String(prng.int(1, Math.min(size.products, 60))).padStart(6, '0')}`;
      await sandbox.pmsApi('PATCH', `/api/products/${id}`, {
        stock: prng.int(0, 9_999),
        price: { amount: prng.int(100, 99_999) / 100, currency: 'EUR' },
      });
    }
    if (prng.chance(0.2)) await sleep(prng.int(0, 50));
  }
}

/** Scenario 6: the event-driven path under duplicated and out-of-order webhook deliveries. */
export const webhookDisorder: ChaosScenario = {
  name: 'webhook-disorder',
  title: 'duplicate and out-of-order webhook deliveries on the event-driven path',
  run: (context) => {
    const size = sizes[context.scale];
    return onStage(context, { products: size.products }, async ({ sandbox, taskQueue, workers }) => {
      const receiver = createProductWebhookReceiver({
        secret,
        client: context.temporal.client,
        taskQueue,
        streams: new Map([['products', { windowMs: 300, maxBatch: 100 }]]),
        logger: createLogger('chaos-webhooks', { level: 'silent' }),
      });
      const relay = await disorderlyRelay(`${await receiver.listen(0)}${webhookPath('products')}`, context.prng);
      try {
        await workers.start();
        await resultOf<ProductSyncSummary>(await startProductSync(context, taskQueue, { retry: patientRetry }), 300_000);
        sandbox.pms.webhooks.configure({ url: relay.url, secret });
        await changeProducts(sandbox, context.prng, size, context.seed);
        await sandbox.pms.webhooks.idle();
        await relay.idle();
        context.log(`${size.changes} PMS changes; relay ${JSON.stringify(relay.counts)}`);
        const settled = () => violationCount(checkProducts(sandbox, { mode: 'upsert', summaries: [] }).violations) === 0;
        await waitUntil('the CRM to match the PMS', settled, 60_000).catch(() => undefined); // the check below says what differs
        const { recordsChecked, violations } = checkProducts(sandbox, {
          mode: 'upsert',
          summaries: [],
          recordsCreated: (await sandbox.crmStats()).recordsCreated,
        });
        return {
          recordsChecked,
          faults: { 'duplicate deliveries': relay.counts.duplicates, 'deliveries overtaken': relay.counts.overtaken },
          watermarkSamples: 0,
          violations,
        };
      } finally {
        await context.temporal.client.workflow
          .getHandle(changeStreamWorkflowId('products'))
          .terminate('chaos scenario over')
          .catch(() => undefined);
        await relay.close();
        await receiver.close();
      }
    });
  },
};

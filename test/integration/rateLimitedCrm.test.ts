import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RateLimitedError } from '../../src/shared/systemErrors';
import { RequestPacer } from '../../src/connectors/requestPacer';
import { SandboxCrmSink } from '../../src/connectors/sandboxCrm';
import { crmToken, startSandbox, type TestSandbox } from '../helpers/sandbox';

interface FaultState {
  injected: { rateLimited: number; throttled: number };
}

describe("client-side rate limiting toward the sandbox CRM's rolling window", () => {
  let sandbox: TestSandbox;
  const faults = async () => (await sandbox.crmApi('GET', '/_admin/faults')) as FaultState;

  before(async () => {
    sandbox = await startSandbox();
  });
  after(async () => {
    await sandbox.close();
  });

  test('a paced client gets no 429 while using at least 90% of the limit', async () => {
    const limit = { requests: 50, perMs: 2000 };
    await sandbox.setCrmFaults({ rateLimit: { requests: limit.requests, windowMs: limit.perMs } });
    const sink = new SandboxCrmSink({ baseUrl: sandbox.crmUrl, token: crmToken, timeoutMs: 10_000, pacer: new RequestPacer(limit) });
    const requests = 120;
    let next = 0;
    const started = performance.now();
    // Four concurrent writers share the one pacer, as concurrent activities of one worker do.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < requests) {
          const n = next++;
          await sink.upsertBatch([{ externalId: `P-${n}`, properties: { name: `Product ${n}`, sku: `SKU-${n}` } }]);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const shareOfLimit = requests / seconds / (limit.requests / (limit.perMs / 1000));
    assert.equal((await faults()).injected.rateLimited, 0);
    assert.ok(shareOfLimit >= 0.9, `used ${(shareOfLimit * 100).toFixed(1)}% of the limit`);
    await sandbox.setCrmFaults({ rateLimit: null });
  });

  test('without the pacer the same load is refused with 429', async () => {
    await sandbox.setCrmFaults({ rateLimit: { requests: 40, windowMs: 1000 } });
    const sink = new SandboxCrmSink({ baseUrl: sandbox.crmUrl, token: crmToken, timeoutMs: 10_000 });
    const outcomes = await Promise.allSettled(Array.from({ length: 60 }, () => sink.count()));
    const refused = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof RateLimitedError);
    const answered = outcomes.filter((o) => o.status === 'fulfilled');
    // 60 at once into 40 a second: 20 refused, fewer when sending them took past the one-second window.
    assert.ok(refused.length >= 10 && refused.length <= 20, `${refused.length} of 60 refused with 429`);
    assert.equal(answered.length + refused.length, 60, 'every other request was answered');
    await sandbox.setCrmFaults({ rateLimit: null });
  });

  test('a 429 that comes anyway holds every request back for its Retry-After', async () => {
    await sandbox.setCrmFaults({ throttleNext: 1, retryAfterSeconds: 1 });
    const sink = new SandboxCrmSink({
      baseUrl: sandbox.crmUrl,
      token: crmToken,
      timeoutMs: 10_000,
      pacer: new RequestPacer({ requests: 100, perMs: 1000 }),
    });
    const refused = await sink.count().catch((error: unknown) => error);
    assert.ok(refused instanceof RateLimitedError);
    assert.equal(refused.retryAfterMs, 1000);
    const after429 = performance.now();
    assert.equal(typeof (await sink.count()), 'number');
    assert.ok(performance.now() - after429 >= 990, 'the next request went before Retry-After had passed');
  });
});

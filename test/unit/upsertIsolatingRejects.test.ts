import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { upsertIsolatingRejects, type UpsertProgress } from '../../activities/upsertIsolatingRejects';
import { BatchRejectedError, SystemUnavailableError } from '../../src/shared/systemErrors';
import type { CrmProductInput, ProductSink } from '../../src/connectors/productConnectors';

/** A CRM that, like real ones, refuses a whole batch when any record in it is invalid. */
function strictSink(isInvalid: (input: CrmProductInput) => boolean, maxWriteBatch = 4) {
  const requests: number[] = [];
  const sink: ProductSink = {
    system: 'CRM',
    capabilities: { maxWriteBatch, maxReadBatch: 100, upsert: 'native', archives: true },
    readByExternalIds: async () => [],
    count: async () => 0,
    upsertBatch: async (inputs) => {
      requests.push(inputs.length);
      const bad = inputs.find(isInvalid);
      if (bad) throw new BatchRejectedError('CRM', 'invalid-record', `name of ${bad.externalId} is too long`);
      return inputs.map((input) => ({ externalId: input.externalId, created: true }));
    },
  };
  return { sink, requests };
}

const records = (n: number) => Array.from({ length: n }, (_, i) => ({ externalId: `P-${i}`, properties: { name: `n${i}` } }));

describe('upserting with reject isolation', () => {
  test('writes in batches of the sink size', async () => {
    const { sink, requests } = strictSink(() => false);
    const outcome = await upsertIsolatingRejects(sink, records(10), () => {});
    assert.equal(outcome.written.length, 10);
    assert.deepEqual(requests, [4, 4, 2]);
  });

  test("marks each written record confirmed or not from the CRM's answer, and leaves it unmarked where the answer is silent", async () => {
    const sink: ProductSink = {
      ...strictSink(() => false).sink,
      upsertBatch: async (inputs) =>
        inputs.map((input, index) => ({
          externalId: input.externalId,
          created: true,
          // The CRM answers the first record as sent, the second altered, the third without the record.
          ...(index === 0 ? { stored: { properties: input.properties, archived: false } } : {}),
          ...(index === 1 ? { stored: { properties: { name: 'changed by the CRM' }, archived: false } } : {}),
        })),
    };
    const outcome = await upsertIsolatingRejects(
      sink,
      records(3),
      () => {},
      undefined,
      ({ stored }) => (stored ? stored.properties.name !== 'changed by the CRM' : undefined),
    );
    assert.deepEqual(outcome.written, [
      { externalId: 'P-0', created: true, confirmed: true },
      { externalId: 'P-1', created: true, confirmed: false },
      { externalId: 'P-2', created: true },
    ]);
  });

  test('with writesInFlight 2, two batches go together and the outcome keeps the records in order', async () => {
    let inFlight = 0;
    let most = 0;
    const base = strictSink(() => false).sink;
    const sink: ProductSink = {
      ...base,
      capabilities: { ...base.capabilities, writesInFlight: 2 },
      upsertBatch: async (inputs) => {
        most = Math.max(most, ++inFlight);
        // The first batch of each pair answers last.
        await new Promise((resolve) => setTimeout(resolve, inputs[0]!.externalId === 'P-0' || inputs[0]!.externalId === 'P-8' ? 30 : 5));
        inFlight -= 1;
        return inputs.map((input) => ({ externalId: input.externalId, created: true }));
      },
    };
    const beats: UpsertProgress[] = [];
    const outcome = await upsertIsolatingRejects(sink, records(10), (progress) => progress && beats.push(progress));
    assert.equal(most, 2);
    assert.deepEqual(
      outcome.written.map((w) => w.externalId),
      records(10).map((r) => r.externalId),
    );
    // A checkpoint never covers a batch in flight: the second batch of a pair, done first, waits for the first.
    assert.deepEqual(
      beats.map((b) => b.done),
      [4, 8, 10],
    );
  });

  test('a refused batch is split until the offenders stand alone; the rest land', async () => {
    const { sink } = strictSink((input) => input.externalId === 'P-2' || input.externalId === 'P-7', 8);
    const outcome = await upsertIsolatingRejects(sink, records(10), () => {});
    assert.deepEqual(
      outcome.failed.map((f) => f.externalId),
      ['P-2', 'P-7'],
    );
    assert.match(outcome.failed[0]!.reason, /CRM refused the record: name of P-2 is too long/);
    assert.equal(outcome.written.length, 8);
  });

  test('a system failure is not mistaken for a bad record: it propagates for Temporal to retry', async () => {
    const sink: ProductSink = {
      ...strictSink(() => false).sink,
      upsertBatch: async () => {
        throw new SystemUnavailableError('CRM', 'CRM failed with 503');
      },
    };
    await assert.rejects(
      upsertIsolatingRejects(sink, records(3), () => {}),
      SystemUnavailableError,
    );
  });

  test('a batch that fails while being split is written again whole on resume: every record is reported once', async () => {
    const beats: UpsertProgress[] = [];
    let failNext = false;
    const { sink: strict } = strictSink((input) => input.externalId === 'P-1', 4);
    const flaky: ProductSink = {
      ...strict,
      upsertBatch: async (inputs) => {
        if (failNext) throw new SystemUnavailableError('CRM', 'CRM failed with 503');
        // The half holding P-1 is refused; the CRM goes down right after the other half lands.
        if (inputs.length === 2 && inputs[0]!.externalId === 'P-3') failNext = true;
        return strict.upsertBatch(inputs);
      },
    };
    await assert.rejects(
      upsertIsolatingRejects(flaky, records(4).reverse(), (progress) => progress && beats.push(structuredClone(progress))),
      SystemUnavailableError,
    );
    assert.deepEqual(beats, [], 'the half-written batch is never reported as a checkpoint');

    const outcome = await upsertIsolatingRejects(strict, records(4).reverse(), () => {}, beats.at(-1));
    assert.deepEqual(outcome.written.map((w) => w.externalId).sort(), ['P-0', 'P-2', 'P-3']);
    assert.deepEqual(
      outcome.failed.map((f) => f.externalId),
      ['P-1'],
    );
  });
});

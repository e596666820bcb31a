import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { createLogger } from '../../src/logging/logger';
import { statsSchema, upsertResultSchema } from '../../src/sandbox/crmApi';
import { createCrmServer, type CrmServer } from '../../src/sandbox/crmServer';
import { FaultInjector, defaultFaultSettings, faultCountersSchema, faultSettingsSchema } from '../../src/sandbox/faults';
import { errorBodySchema } from '../../src/sandbox/httpErrors';
import { apiCaller, type Answer } from '../helpers/sandboxHttp';

const token = 'faults-test-token';
const logger = createLogger('test-faults', { level: 'silent' });

describe('FaultInjector decisions', () => {
  test('the same seed injects the same random errors, another seed different ones', () => {
    const decisions = (seed: number): boolean[] => {
      const injector = new FaultInjector({ errorRate: 0.5 }, seed);
      return Array.from({ length: 64 }, (_, i) => injector.admit(i) !== null);
    };
    assert.deepEqual(decisions(42), decisions(42));
    assert.notDeepEqual(decisions(42), decisions(43));
    const errors = decisions(42).filter(Boolean).length;
    assert.ok(errors > 16 && errors < 48, `about half are errors, got ${errors}`);
  });

  test('the rate limit is a rolling window and Retry-After rounds the wait up to whole seconds', () => {
    const injector = new FaultInjector({ rateLimit: { requests: 3, windowMs: 2500 } });
    assert.equal(injector.admit(0), null);
    assert.equal(injector.admit(100), null);
    assert.equal(injector.admit(200), null);
    const refused = injector.admit(300);
    assert.equal(refused?.error.statusCode, 429);
    assert.equal(refused?.retryAfterSeconds, 3, 'the oldest slot frees at 2500 ms: 2.2 s rounds up to 3');
    assert.equal(injector.admit(2499)?.retryAfterSeconds, 1, 'never advises 0 seconds');
    assert.equal(injector.admit(2500), null, 'the request at 0 has left the window');
    assert.notEqual(injector.admit(2550), null, 'those at 100 and 200 are still in it');
    assert.equal(injector.injected.rateLimited, 3);
  });

  test('outageAfterWrites serves the given number of writes, reads in between, then refuses the next requests and ends', () => {
    const injector = new FaultInjector({ outageAfterWrites: { writes: 2, requests: 2 } });
    assert.equal(injector.checkPlannedOutage(true), null);
    assert.equal(injector.checkPlannedOutage(false), null, 'a read does not count towards the writes');
    assert.equal(injector.checkPlannedOutage(true), null);
    assert.equal(injector.checkPlannedOutage(true)?.error.statusCode, 503);
    assert.equal(injector.checkPlannedOutage(false)?.error.statusCode, 503);
    assert.equal(injector.checkPlannedOutage(true), null, 'the outage is over after its requests');
    assert.equal(injector.settings.outageAfterWrites, null);
    assert.equal(injector.injected.down, 2);
  });

  test('throttleNext refuses exactly the next N requests with the configured Retry-After', () => {
    const injector = new FaultInjector({ throttleNext: 2, retryAfterSeconds: 5 });
    assert.equal(injector.admit(0)?.retryAfterSeconds, 5);
    assert.equal(injector.admit(1)?.retryAfterSeconds, 5);
    assert.equal(injector.admit(2), null);
    assert.equal(injector.settings.throttleNext, 0);
    assert.equal(injector.injected.throttled, 2);
  });

  test('latency stays within latencyMs and latencyMs + latencyJitterMs', () => {
    const injector = new FaultInjector({ latencyMs: 10, latencyJitterMs: 5 }, 3);
    const delays = Array.from({ length: 200 }, () => injector.latency());
    assert.ok(delays.every((delay) => delay >= 10 && delay <= 15));
    assert.ok(new Set(delays).size > 1, 'jitter varies the delay');
  });

  test('settings changes are validated and merged into the current settings', () => {
    const injector = new FaultInjector({ latencyMs: 20 });
    injector.update({ errorRate: 0.25 });
    assert.deepEqual(injector.settings, { ...defaultFaultSettings, latencyMs: 20, errorRate: 0.25 });
    assert.throws(() => injector.update({ errorRate: 2 }), /must be between 0 and 1/);
    assert.throws(() => new FaultInjector({ maxBatchSize: 0 }), /maxBatchSize/);
  });
});

const faultStateSchema = z.object({ settings: faultSettingsSchema, injected: faultCountersSchema });
const request = apiCaller(token);

describe('fault injection over HTTP', () => {
  let server: CrmServer;
  let baseUrl: string;

  // Every request here goes to the one server, so the suite's call leaves out the base URL.
  const call = (method: string, route: string, body?: unknown, bearer = token) => request(baseUrl, method, route, { body, token: bearer });
  const errorOf = (answer: Answer) => errorBodySchema.parse(answer.body);
  const faultStateOf = (answer: Answer) => faultStateSchema.parse(answer.body);
  const setFaults = (patch: Record<string, unknown>) => call('PUT', '/_admin/faults', patch);
  const upsert = (externalId: string) =>
    call('POST', '/api/products/batch/upsert', { inputs: [{ externalId, properties: { name: externalId } }] });

  before(async () => {
    server = createCrmServer({ dbPath: ':memory:', token, seed: 9, logger, faults: { throttleNext: 1 } });
    baseUrl = await server.listen();
  });

  after(async () => {
    await server.close();
  });

  afterEach(async () => {
    await setFaults(defaultFaultSettings);
  });

  test('faults given at start apply from the first request', async () => {
    const first = await call('GET', '/api/products');
    assert.equal(first.status, 429);
    assert.equal((await call('GET', '/api/products')).status, 200);
  });

  test('errorRate 1 answers 503 before handling, so nothing is written', async () => {
    await setFaults({ errorRate: 1 });
    const answer = await upsert('ERR-1');
    assert.equal(answer.status, 503);
    const error = errorOf(answer);
    assert.equal(error.error, 'SERVICE_UNAVAILABLE');
    assert.match(error.message, /retry/);
    assert.equal(server.store.getByExternalId('ERR-1'), undefined);
    assert.ok(statsSchema.parse((await call('GET', '/_admin/stats')).body).faults.errors >= 1);
  });

  test('throttleNext answers 429 with Retry-After to the next N requests, then serves normally', async () => {
    await setFaults({ throttleNext: 2, retryAfterSeconds: 2 });
    for (let i = 0; i < 2; i++) {
      const answer = await call('GET', '/api/products');
      assert.equal(answer.status, 429);
      assert.equal(answer.headers.get('retry-after'), '2');
      assert.equal(errorOf(answer).error, 'RATE_LIMITED');
    }
    assert.equal((await call('GET', '/api/products')).status, 200);
  });

  test('a rate limit refuses requests beyond the window with 429 and Retry-After until the window rolls on', async () => {
    await setFaults({ rateLimit: { requests: 3, windowMs: 300 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('GET', '/api/products')).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const refused = await call('GET', '/api/products');
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match(errorOf(refused).message, /Rate limit of 3 requests per 300 ms exceeded/);
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal((await call('GET', '/api/products')).status, 200);
  });

  test('down answers 503 to every /api request while /health and /_admin keep working', async () => {
    await setFaults({ down: true });
    const answer = await upsert('DOWN-1');
    assert.equal(answer.status, 503);
    assert.equal(errorOf(answer).error, 'SERVICE_DOWN');
    assert.equal(server.store.getByExternalId('DOWN-1'), undefined);
    assert.equal((await call('GET', '/health')).status, 200);
    assert.equal(faultStateOf(await call('GET', '/_admin/faults')).settings.down, true);
    assert.equal((await call('GET', '/api/products', undefined, 'wrong')).status, 401, 'auth is checked before faults');
    await setFaults({ down: false });
    assert.equal((await call('GET', '/api/products')).status, 200);
  });

  test('PUT /_admin/faults merges a partial change and refuses bad input with 400', async () => {
    await setFaults({ latencyMs: 1 });
    const merged = await setFaults({ errorRate: 0.1 });
    assert.equal(merged.status, 200);
    assert.equal(faultStateOf(merged).settings.latencyMs, 1, 'settings not given are kept');
    assert.equal(faultStateOf(merged).settings.errorRate, 0.1);

    const outOfRange = await setFaults({ errorRate: 1.5 });
    assert.equal(outOfRange.status, 400);
    assert.match(errorOf(outOfRange).message, /body field 'errorRate': must be between 0 and 1/);
    const typo = await setFaults({ errorrate: 1 });
    assert.equal(typo.status, 400);
    assert.match(errorOf(typo).message, /unknown fault setting 'errorrate'; known settings: errorRate,/);
    const current = faultStateOf(await call('GET', '/_admin/faults'));
    assert.equal(current.settings.errorRate, 0.1, 'a refused change changes nothing');
  });

  test('errorAfterWriteRate 1 answers 500 although the write was committed, so a retry must be idempotent', async () => {
    await setFaults({ errorAfterWriteRate: 1 });
    const failed = await upsert('LATE-1');
    assert.equal(failed.status, 500);
    assert.equal(errorOf(failed).error, 'INTERNAL_ERROR');
    const stored = server.store.getByExternalId('LATE-1');
    assert.equal(stored?.version, 1, 'the record IS written');

    await setFaults({ errorAfterWriteRate: 0 });
    const retried = await upsert('LATE-1');
    assert.equal(retried.status, 200);
    const [result] = z.object({ results: z.array(upsertResultSchema) }).parse(retried.body).results;
    assert.deepEqual(result, {
      id: stored?.id,
      externalId: 'LATE-1',
      created: false,
      changed: false,
      properties: stored?.properties,
      archived: false,
    });
    assert.equal(server.store.all().filter((record) => record.externalId === 'LATE-1').length, 1, 'no duplicate');
  });

  test('errorAfterWriteRate does not touch reads', async () => {
    await setFaults({ errorAfterWriteRate: 1 });
    assert.equal((await call('GET', '/api/products')).status, 200);
  });

  test('maxBatchSize makes larger batches answer 413', async () => {
    await setFaults({ maxBatchSize: 2 });
    const inputs = ['B-1', 'B-2', 'B-3'].map((externalId) => ({ externalId, properties: { name: externalId } }));
    const answer = await call('POST', '/api/products/batch/upsert', { inputs });
    assert.equal(answer.status, 413);
    assert.match(errorOf(answer).message, /Batch of 3 records exceeds the maximum of 2 per request/);
    assert.equal(server.store.getByExternalId('B-1'), undefined);
  });

  test('latency delays each request by at least latencyMs', async () => {
    await setFaults({ latencyMs: 60 });
    const started = performance.now();
    assert.equal((await call('GET', '/api/products')).status, 200);
    assert.ok(performance.now() - started >= 55, 'delayed by roughly latencyMs');
  });

  test('injected faults are counted and the counters can be reset', async () => {
    await setFaults({ throttleNext: 1 });
    await call('GET', '/api/products');
    assert.ok(faultStateOf(await call('GET', '/_admin/faults')).injected.throttled >= 1);
    const reset = statsSchema.parse((await call('POST', '/_admin/stats/reset')).body);
    assert.equal(reset.faults.throttled, 0);
  });

  test('resetRate 1 cuts the answer off mid-body after the write was committed', async () => {
    await setFaults({ resetRate: 1 });
    await assert.rejects(
      fetch(`${baseUrl}/api/products/batch/upsert`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ externalId: 'RESET-1', properties: { name: 'RESET-1' } }] }),
      }).then((answer) => answer.text()),
      /terminated|ECONNRESET|other side closed/,
    );
    assert.equal(server.store.getByExternalId('RESET-1')?.version, 1, 'the record IS written');
    assert.equal(faultStateOf(await call('GET', '/_admin/faults')).injected.resets, 1);
  });

  test('malformedRate 1 answers reads with status 200 and JSON cut in half, and leaves writes alone', async () => {
    await upsert('GARBLED-1');
    await setFaults({ malformedRate: 1 });
    const answer = await fetch(`${baseUrl}/api/products`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(answer.status, 200);
    const text = await answer.text();
    assert.throws(() => JSON.parse(text) as unknown, SyntaxError);
    assert.equal((await upsert('GARBLED-2')).status, 200);
  });

  test('duplicateRate 1 repeats records of a page next to their first copy', async () => {
    for (const id of ['DUP-1', 'DUP-2', 'DUP-3', 'DUP-4', 'DUP-5', 'DUP-6']) await upsert(id);
    await setFaults({ duplicateRate: 1 });
    const page = z
      .object({ results: z.array(z.object({ externalId: z.string() })) })
      .parse((await call('GET', '/api/products?limit=100')).body);
    const ids = page.results.map((record) => record.externalId);
    assert.ok(ids.length > new Set(ids).size, 'some records appear twice');
    for (const id of new Set(ids)) {
      const first = ids.indexOf(id);
      const last = ids.lastIndexOf(id);
      assert.ok(last - first <= 1, `the copy of ${id} is next to the original`);
    }
  });
});

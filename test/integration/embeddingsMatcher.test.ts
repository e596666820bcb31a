import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { parse as parseYaml } from 'yaml';
import { withFailureMapping } from '../../activities/activityFailure';
import { configSchema } from '../../src/config/configSchema';
import { createDemandMatcher } from '../../src/connectors/demandMatchers';
import { matcherConfigSchema, type DemandMatcher, type MatchCandidate } from '../../src/domain/demandMatcher';
import { buildIntegrations } from '../../src/integrations';
import { outageFailureTypes } from '../../src/shared/failureTypes';
import {
  AuthenticationError,
  InvalidResponseError,
  RateLimitedError,
  RequestRejectedError,
  SystemError,
  SystemUnavailableError,
} from '../../src/shared/systemErrors';
import { startEmbeddingsFake, type EmbeddingsFake } from '../fakes/embeddingsFake';

const dirs: string[] = [];
let fake: EmbeddingsFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const dataDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bridge-embeddings-'));
  dirs.push(dir);
  return dir;
};

function matcherFor(
  service: EmbeddingsFake,
  options: { dir?: string; batchSize?: number; apiKeyEnv?: string; env?: NodeJS.ProcessEnv; maxInputChars?: number } = {},
): DemandMatcher {
  const config = matcherConfigSchema.parse({
    kind: 'embeddings',
    embeddings: {
      url: service.url,
      model: 'fake-trigram-64',
      batchSize: options.batchSize ?? 64,
      requestsPerSecond: 100,
      ...(options.apiKeyEnv ? { apiKeyEnv: options.apiKeyEnv } : {}),
      ...(options.maxInputChars ? { maxInputChars: options.maxInputChars } : {}),
    },
  });
  const matcher = createDemandMatcher(config, { env: options.env ?? {}, dataDir: options.dir ?? dataDir() });
  assert.equal(matcher.kind, 'embeddings', 'an embeddings configuration builds the semantic matcher, never the offline one');
  return matcher;
}

const requirement = (id: string, title: string, demands: string[] = []): MatchCandidate => ({
  id,
  title,
  description: '',
  terminal: false,
  demands: demands.map((text) => ({ title: text, description: '' })),
});

const exportDemand = { title: 'Export reports to Excel', description: 'Monthly reports as Excel files' };
const candidates = [
  requirement('R-3', 'Single sign-on with Azure AD', ['SAML login for our staff']),
  requirement('R-1', 'Excel export of reports', ['Export our reports into Excel']),
  requirement('R-2', 'Dark mode for the dashboard'),
];

async function failureOf(promise: Promise<unknown>): Promise<SystemError> {
  const error = await promise.then(
    () => assert.fail('expected the matcher to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof SystemError, `a typed SystemError, got ${String(error)}`);
  return error;
}

describe('semantic matcher against an OpenAI-compatible embeddings service over HTTP (fake service)', () => {
  test('a demand sync configured with matcher.kind embeddings gets the semantic matcher, which ranks the requirement saying the same thing first and says why', async () => {
    fake = await startEmbeddingsFake({ apiKey: 'sk-test-0123456789' });
    const config = configSchema.parse(
      parseYaml(`
dataDir: ${dataDir()}
systems:
  pms: { kind: sandbox-pms, url: http://127.0.0.1:9, token: unused }
  crm: { kind: sandbox-crm, url: http://127.0.0.1:9, token: unused }
productSyncs:
  - { id: products, source: pms, target: crm }
demandSyncs:
  - id: demands
    crm: crm
    pms: pms
    matcher: { kind: embeddings, embeddings: { url: ${fake.url}, model: fake-trigram-64, apiKeyEnv: EMBEDDINGS_KEY } }
`) as unknown,
    );
    const matcher = buildIntegrations(config, { env: { EMBEDDINGS_KEY: 'sk-test-0123456789' } }).demands.get('demands')!.matcher;
    assert.equal(matcher.kind, 'embeddings');

    const ranked = await matcher.rank(exportDemand, candidates);
    assert.deepEqual(
      ranked.map((c) => c.id),
      ['R-1', ...ranked.slice(1).map((c) => c.id)],
    );
    assert.equal(ranked.length, 3);
    assert.ok(ranked[0]!.score > ranked[1]!.score, 'the export requirement scores above the others');
    assert.ok(ranked.every((c, i) => i === 0 || ranked[i - 1]!.score >= c.score));
    assert.match(
      ranked[0]!.reason,
      /^meaning similarity 0\.\d\d with the requirement, 0\.\d\d with what its linked demand asks \(semantic matcher, model fake-trigram-64\)$/,
    );
    assert.match(ranked.find((c) => c.id === 'R-2')!.reason, /^meaning similarity 0\.\d\d with the requirement \(semantic matcher/);
    // One request with every distinct text: the demand, three requirements, two linked demands.
    assert.equal(fake.requests.length, 1);
    assert.equal(fake.requests[0]!.length, 6);
  });

  test('a requirement is compared with the centre of its linked demands, so one similar demand among unrelated ones does not pull a new demand in', async () => {
    fake = await startEmbeddingsFake();
    const matcher = matcherFor(fake);
    const close = 'Export our reports into Excel';
    const unrelated = ['Dark mode for the dashboard', 'Single sign-on with Azure AD', 'Shorter delivery times for spare parts'];
    const [alone] = await matcher.rank(exportDemand, [requirement('R-1', 'Offline mode', [close])]);
    const [diluted] = await matcher.rank(exportDemand, [requirement('R-1', 'Offline mode', [close, ...unrelated])]);
    assert.ok(
      diluted!.score < alone!.score,
      `with three unrelated demands beside it the similar one counts a quarter (${diluted!.score} < ${alone!.score})`,
    );
    assert.match(diluted!.reason, /with what its 4 linked demands ask on average/);
  });

  test('texts go in batches of batchSize, each distinct text once, and the answer is read by index whatever its order', async () => {
    fake = await startEmbeddingsFake();
    const many = Array.from({ length: 10 }, (_, i) =>
      requirement(`R-${String(i).padStart(2, '0')}`, `Requirement number ${i} about pumps`, [`Demand ${i}a about valves`, `Demand ${i}b`]),
    );
    many.push(requirement('R-99', 'Requirement number 0 about pumps', ['Demand 0a about valves']));
    const ranked = await matcherFor(fake, { batchSize: 8 }).rank({ title: 'Requirement number 3 about pumps', description: '' }, many);
    // 1 demand + 10 requirements + 20 linked demands = 31 distinct texts (R-99 repeats R-00's texts; the demand repeats R-03's).
    assert.deepEqual(
      fake.requests.map((inputs) => inputs.length),
      [8, 8, 8, 6],
    );
    assert.equal(new Set(fake.requests.flat()).size, 30);
    assert.equal(ranked[0]!.id, 'R-03', 'the identical text ranks first: vectors were matched to their texts by index');
    assert.equal(ranked[0]!.score, 1);
  });

  test('an unchanged text is never embedded twice: a second matcher on the same data directory sends no request', async () => {
    fake = await startEmbeddingsFake();
    const dir = dataDir();
    const first = await matcherFor(fake, { dir }).rank(exportDemand, candidates);
    assert.equal(fake.requests.length, 1);
    const again = await matcherFor(fake, { dir }).rank(exportDemand, candidates);
    assert.equal(fake.requests.length, 1, 'every embedding came from the cache file');
    assert.deepEqual(again, first);

    const changed = await matcherFor(fake, { dir }).rank({ ...exportDemand, description: 'Weekly reports as Excel files' }, candidates);
    assert.deepEqual(fake.requests.slice(1), [['Export reports to Excel\nWeekly reports as Excel files']], 'only the changed text is sent');
    assert.equal(changed.length, 3);
  });

  test('a 429 fails the call with RateLimited and the delay the service asked for; the next call succeeds and re-sends only what was not embedded', async () => {
    fake = await startEmbeddingsFake();
    const matcher = matcherFor(fake, { batchSize: 2 });
    fake.rateLimitNext(1, 1, 1);
    const failure = await failureOf(matcher.rank(exportDemand, candidates));
    assert.ok(failure instanceof RateLimitedError);
    assert.equal(failure.retryAfterMs, 1000);
    assert.match(failure.message, /Embeddings service is rate limiting us \(429\)/);
    assert.deepEqual(
      fake.requests.map((inputs) => inputs.length),
      [2, 2],
      'the first batch was answered, the second refused',
    );
    const ranked = await matcher.rank(exportDemand, candidates);
    assert.equal(ranked[0]!.id, 'R-1');
    const resent = fake.requests.slice(2).flat();
    assert.equal(resent.length, 4, 'the retry sends the four texts not embedded yet');
    assert.ok(
      fake.requests[0]!.every((text) => !resent.includes(text)),
      'the first batch came from the cache',
    );
  });

  test('a refused key fails with AuthenticationFailed telling the operator which environment variable to check, without the key', async () => {
    fake = await startEmbeddingsFake({ apiKey: 'sk-right-0123456789' });
    const matcher = matcherFor(fake, { apiKeyEnv: 'EMBEDDINGS_KEY', env: { EMBEDDINGS_KEY: 'sk-wrong-9876543210' } });
    const failure = await failureOf(matcher.rank(exportDemand, candidates));
    assert.ok(failure instanceof AuthenticationError);
    assert.equal(failure.retryable, false);
    assert.match(failure.message, /Embeddings service refused the bridge's API key \(401 invalid_api_key\)/);
    assert.match(failure.message, /Check the key in the environment variable EMBEDDINGS_KEY \(matcher\.embeddings\.apiKeyEnv\)/);
    assert.doesNotMatch(failure.message, /sk-|3210|wrong/);
  });

  test('a key variable that is not set stops the worker at start, naming the variable', async () => {
    fake = await startEmbeddingsFake();
    assert.throws(
      () => matcherFor(fake!, { apiKeyEnv: 'EMBEDDINGS_KEY', env: {} }),
      /environment variable EMBEDDINGS_KEY, which is not set/,
    );
  });

  test('a service that is down or failing fails with SystemUnavailable naming the service, and never falls back to the offline matcher', async () => {
    fake = await startEmbeddingsFake();
    const matcher = matcherFor(fake);
    fake.setMode('unavailable');
    const failing = await failureOf(matcher.rank(exportDemand, candidates));
    assert.ok(failing instanceof SystemUnavailableError);
    assert.match(failing.message, /^Embeddings service failed with 503: The server is overloaded or not ready yet\.$/);

    await fake.close();
    fake = undefined;
    const down = await failureOf(matcher.rank(exportDemand, candidates));
    assert.ok(down instanceof SystemUnavailableError);
    assert.equal(down.retryable, true);
    assert.match(down.message, /^Embeddings service could not be reached at http:\/\/127\.0\.0\.1:\d+/);
  });

  for (const [mode, expected] of [
    ['missing-data', /Embeddings service answered POST embeddings with an unexpected shape: data: /],
    ['wrong-dimension', /Embeddings service answered with vectors of different lengths \(63 and 64 numbers\) for model fake-trigram-64/],
    ['nan', /Embeddings service answered with malformed JSON/],
  ] as const) {
    test(`a malformed answer (${mode}) fails with InvalidResponse naming the service, and nothing of it is cached`, async () => {
      fake = await startEmbeddingsFake();
      const dir = dataDir();
      fake.setMode(mode);
      const failure = await failureOf(matcherFor(fake, { dir }).rank(exportDemand, candidates));
      assert.ok(failure instanceof InvalidResponseError);
      assert.match(failure.message, expected);
      fake.setMode('ok');
      await matcherFor(fake, { dir }).rank(exportDemand, candidates);
      assert.equal(fake.requests.at(-1)!.length, 6, 'every text is asked for again');
    });
  }

  test('a text over the model token limit is refused with RequestRejected quoting the service, never the text', async () => {
    fake = await startEmbeddingsFake();
    const text = 'Our plant needs longer hoses. '.repeat(1_500);
    const failure = await failureOf(matcherFor(fake, { maxInputChars: 100_000 }).rank({ title: 'Hoses', description: text }, candidates));
    assert.ok(failure instanceof RequestRejectedError);
    assert.equal(failure.retryable, false);
    assert.match(
      failure.message,
      /^Embeddings service refused the texts it was sent \(400: This model's maximum context length is 8192 tokens/,
    );
    assert.doesNotMatch(failure.message, /hoses/i);
  });

  test('a demand of 100,000 characters is cut to maxInputChars before it is sent; a demand without text scores 0 and sends no empty input', async () => {
    fake = await startEmbeddingsFake();
    const matcher = matcherFor(fake, { maxInputChars: 500 });
    const long = await matcher.rank({ title: 'Export reports to Excel', description: 'x'.repeat(100_000) }, candidates);
    assert.equal(long.length, 3);
    assert.ok(fake.requests.flat().every((text) => text.length <= 500));

    const empty = await matcher.rank({ title: '  ', description: '\u0000\n' }, candidates);
    assert.ok(empty.every((c) => c.score === 0 && /the demand has no text to compare/.test(c.reason)));
    assert.ok(fake.requests.flat().every((text) => text.length > 0));
  });

  test('inside an activity, an embeddings outage becomes the retryable SystemUnavailable failure the workflows stop on for an operator, and a refused key the non-retryable failure that ends the run', async () => {
    // Placement does not call the DemandMatcher on this branch yet (the matcher branch wires it), so
    // this is the activity level: the same failure mapping every activity uses (activityFailure.ts),
    // read by the same outage rule as workflows/attention.ts.
    fake = await startEmbeddingsFake({ apiKey: 'sk-right-0123456789' });
    const inActivity = (matcher: DemandMatcher) =>
      new MockActivityEnvironment()
        .run(() => withFailureMapping(() => matcher.rank(exportDemand, candidates)))
        .then(
          () => assert.fail('expected a failure'),
          (error: unknown) => error,
        );
    const outage = matcherFor(fake, { apiKeyEnv: 'EMBEDDINGS_KEY', env: { EMBEDDINGS_KEY: 'sk-right-0123456789' } });
    fake.setMode('unavailable');
    const down = await inActivity(outage);
    assert.ok(down instanceof ApplicationFailure);
    assert.equal(down.type, 'SystemUnavailable');
    assert.equal(down.nonRetryable, false);
    assert.ok(outageFailureTypes.has(down.type), 'an outage: the run waits in NeedsAttention once retries are used up');
    assert.match(down.message, /^Embeddings service failed with 503/);

    fake.setMode('ok');
    const refused = await inActivity(matcherFor(fake, { apiKeyEnv: 'EMBEDDINGS_KEY', env: { EMBEDDINGS_KEY: 'sk-wrong-0123456789' } }));
    assert.ok(refused instanceof ApplicationFailure);
    assert.equal(refused.type, 'AuthenticationFailed');
    assert.equal(refused.nonRetryable, true);
    assert.ok(!outageFailureTypes.has(refused.type));
  });
});

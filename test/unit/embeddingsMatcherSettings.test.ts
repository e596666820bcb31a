import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { embeddingCacheFile } from '../../src/connectors/demandMatchers';
import { EmbeddingCache, embeddingKey, normaliseText } from '../../src/connectors/embeddingCache';
import { matcherConfigSchema } from '../../src/domain/demandMatcher';
import { describeIssues } from '../../src/domain/validation';

const issuesOf = (raw: unknown): string => {
  const parsed = matcherConfigSchema.safeParse(raw);
  assert.ok(!parsed.success, 'expected the configuration to be refused');
  return describeIssues(parsed.error, 10);
};

describe('matcher configuration for the semantic matcher', () => {
  test('offline is the default kind, and embeddings settings get their defaults', () => {
    assert.equal(matcherConfigSchema.parse({}).kind, 'offline');
    const config = matcherConfigSchema.parse({
      kind: 'embeddings',
      embeddings: { url: 'http://localhost:11434/v1', model: 'nomic-embed-text' },
    });
    assert.deepEqual(config.embeddings, {
      url: 'http://localhost:11434/v1',
      model: 'nomic-embed-text',
      batchSize: 64,
      requestsPerSecond: 5,
      timeoutMs: 30_000,
      maxInputChars: 2_000,
      cacheEntries: 50_000,
    });
  });

  test('kind embeddings without the service section is refused naming the field', () => {
    assert.match(issuesOf({ kind: 'embeddings' }), /^embeddings: is required when kind is 'embeddings'/);
    assert.match(issuesOf({ kind: 'semantic' }), /^kind: must be 'offline' or 'embeddings'/);
  });

  test('bad service settings are refused naming each field, and the key itself has no place in the file', () => {
    const issues = issuesOf({
      kind: 'embeddings',
      embeddings: { url: 'not a url', model: '', apiKeyEnv: 'sk-live key', batchSize: 5000, requestsPerSecond: 0, apiKey: 'sk-123' },
    });
    for (const field of ['url', 'model', 'apiKeyEnv', 'batchSize', 'requestsPerSecond'])
      assert.match(issues, new RegExp(`embeddings\\.${field}: `), `names embeddings.${field}`);
    assert.match(issues, /embeddings\.batchSize: Too big/);
    assert.match(issues, /embeddings: Unrecognized key: "apiKey"/);
  });

  test('the cache key is the hash of model and normalised text: spacing and Unicode form do not matter, the model does', () => {
    const a = normaliseText('  Export   reports\r\n\n to Excel ', 2000);
    const b = normaliseText('Export reports\n to Excel', 2000);
    assert.equal(a, 'Export reports\nto Excel');
    assert.equal(a, b);
    assert.equal(normaliseText('Cafe\u0301', 2000), normaliseText('Café', 2000));
    assert.equal(embeddingKey('m1', a), embeddingKey('m1', b));
    assert.notEqual(embeddingKey('m1', a), embeddingKey('m2', a));
    assert.match(embeddingKey('m1', a), /^[0-9a-f]{64}$/);
    assert.equal([...normaliseText('😀'.repeat(10), 3)].length, 3, 'cut by characters, never inside a surrogate pair');
    assert.equal(embeddingCacheFile('/var/bridge'), '/var/bridge/embeddings-cache.sqlite');
  });
});

describe('embedding cache', () => {
  test('keeps at most maxEntries in its file, dropping the least recently used, and a new instance reads what an earlier one wrote', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bridge-embedding-cache-'));
    try {
      const file = path.join(dir, 'embeddings-cache.sqlite');
      const vector = (n: number) => Float32Array.from([n, n + 0.5, -n]);
      const cache = new EmbeddingCache({ file, maxEntries: 3, memoryEntries: 1 });
      for (const [key, n] of [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ] as const)
        cache.putMany([[key, vector(n)]]);
      assert.deepEqual([...cache.getMany(['a']).keys()], ['a'], 'a is used again, so b is now the least recently used');
      cache.putMany([['d', vector(4)]]);
      assert.equal(cache.size(), 3);
      cache.close();

      const reopened = new EmbeddingCache({ file, maxEntries: 3 });
      const found = reopened.getMany(['a', 'b', 'c', 'd']);
      assert.deepEqual([...found.keys()].sort(), ['a', 'c', 'd']);
      assert.deepEqual([...found.get('d')!], [...vector(4)], 'vectors come back as stored (32-bit floats)');
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { z } from 'zod';
import type { DemandMatcher, MatchCandidate, ScoredCandidate } from '../domain/demandMatcher';
import type { EmbeddingsServiceConfig } from '../domain/embeddingsServiceConfig';
import { AuthenticationError, InvalidResponseError, RequestRejectedError, SystemUnavailableError } from '../shared/systemErrors';
import { chunk } from '../shared/chunk';
import { embeddingKey, normaliseText, type EmbeddingCache } from './embeddingCache';
import { HttpSystem } from './httpClient';
import { refusalDetail, withoutSentValues } from './refusalReason';
import { RequestPacer, type RateLimit } from './requestPacer';
import { staticHeaders } from './restAuth';

/** The name every error of this service carries. */
const system = 'Embeddings service';

/**
 * The OpenAI-compatible embeddings answer (https://developers.openai.com/api/reference/go/resources/embeddings):
 * `{ object: 'list', data: [{ object: 'embedding', index, embedding: number[] }], model, usage }`. Only
 * what the matcher uses is required; zod's numbers refuse Infinity, and JSON cannot carry NaN.
 */
const embeddingsAnswerSchema = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()).min(1) })),
  model: z.string().optional(),
});

export interface EmbeddingsMatcherOptions {
  config: EmbeddingsServiceConfig;
  /** The key read from the environment variable `config.apiKeyEnv`; absent for a service without keys. */
  apiKey?: string;
  cache: EmbeddingCache;
}

/**
 * The semantic matcher: a demand and each candidate requirement are turned into embeddings by a
 * service with the OpenAI-compatible `POST /embeddings` API, and compared by cosine similarity with
 * the requirement's own text and with the centre (mean) of its linked demands' embeddings, never with
 * the best single linked demand, so a chain of loosely related demands cannot pull in a new one.
 *
 * Every text is embedded once: the cache (by sha256 of model and text) answers what was embedded
 * before, and the rest goes in batches of `batchSize`, paced at `requestsPerSecond`. A service that
 * cannot answer fails the call with the bridge's typed errors (SystemUnavailable, RateLimited,
 * AuthenticationFailed, InvalidResponse), so the run stops for an operator like with any other
 * system; there is no fallback to the offline matcher.
 */
export class EmbeddingsMatcher implements DemandMatcher {
  readonly kind = 'embeddings';
  private readonly http: HttpSystem;
  private readonly pacer: RequestPacer;
  /** Length of this model's vectors, from the first one seen; every later one must match it. */
  private dimensions: number | undefined;

  constructor(private readonly options: EmbeddingsMatcherOptions) {
    const { config, apiKey } = options;
    this.pacer = new RequestPacer(rateLimitOf(config.requestsPerSecond));
    this.http = new HttpSystem({
      system,
      // `url` is the part before /embeddings (https://api.openai.com/v1): kept whole by URL resolution.
      baseUrl: config.url.endsWith('/') ? config.url : `${config.url}/`,
      timeoutMs: config.timeoutMs,
      // OpenAI, Azure OpenAI's v1 API and vLLM's --api-key take `Authorization: Bearer <key>`; a local Ollama none.
      auth: staticHeaders(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      pacer: this.pacer,
      classifyError: (status, body) => this.refusal(status, body),
      onResponse: (status, headers) => this.observeLimits(status, headers),
    });
  }

  async rank(demand: { title: string; description: string }, candidates: MatchCandidate[]): Promise<ScoredCandidate[]> {
    const demandText = this.textOf(demand);
    const texts = [
      demandText,
      ...candidates.flatMap((candidate) => [this.textOf(candidate), ...candidate.demands.map((d) => this.textOf(d))]),
    ];
    const vectors = await this.embed(texts);
    const demandVector = vectors.get(demandText);
    const model = this.options.config.model;
    const scored = candidates.map((candidate): ScoredCandidate => {
      if (!demandVector)
        return { id: candidate.id, score: 0, reason: `the demand has no text to compare (semantic matcher, model ${model})` };
      const own = similarityOf(demandVector, vectors.get(this.textOf(candidate)));
      const linked = candidate.demands.map((d) => vectors.get(this.textOf(d))).filter((v): v is Float32Array => v !== undefined);
      const centre = linked.length > 0 ? similarityOf(demandVector, centreOf(linked)) : undefined;
      const score = Math.max(own, centre ?? 0);
      const parts = [`meaning similarity ${own.toFixed(2)} with the requirement`];
      if (centre !== undefined)
        parts.push(
          linked.length === 1
            ? `${centre.toFixed(2)} with what its linked demand asks`
            : `${centre.toFixed(2)} with what its ${linked.length} linked demands ask on average`,
        );
      return { id: candidate.id, score, reason: `${parts.join(', ')} (semantic matcher, model ${model})` };
    });
    return scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private textOf(item: { title: string; description: string }): string {
    return normaliseText(`${item.title}\n${item.description}`, this.options.config.maxInputChars);
  }

  /** Embeddings of the distinct non-empty texts: from the cache, else from the service in batches. */
  private async embed(texts: string[]): Promise<Map<string, Float32Array>> {
    const { model, batchSize } = this.options.config;
    const distinct = [...new Set(texts.filter((text) => text.length > 0))];
    const keyOf = new Map(distinct.map((text) => [text, embeddingKey(model, text)]));
    const cached = this.options.cache.getMany([...keyOf.values()]);
    const vectors = new Map<string, Float32Array>();
    const missing: string[] = [];
    for (const text of distinct) {
      const vector = cached.get(keyOf.get(text)!);
      if (vector) {
        this.checkDimensions(vector.length, 'cached');
        vectors.set(text, vector);
      } else missing.push(text);
    }
    for (const batch of chunk(missing, batchSize)) {
      const fresh = await this.request(batch);
      // Stored batch by batch: when a later batch fails (429, outage), the retry sends only what is left.
      this.options.cache.putMany(batch.map((text, i) => [keyOf.get(text)!, fresh[i]!] as const));
      batch.forEach((text, i) => vectors.set(text, fresh[i]!));
    }
    return vectors;
  }

  /** One request; the vectors in input order (the answer's `index`, whatever order `data` comes in). */
  private async request(batch: string[]): Promise<Float32Array[]> {
    const answer = await this.http.call({
      method: 'POST',
      path: 'embeddings',
      body: { model: this.options.config.model, input: batch },
      schema: embeddingsAnswerSchema,
    });
    if (answer.data.length !== batch.length) {
      throw new InvalidResponseError(system, `${system} answered ${batch.length} texts with ${answer.data.length} embeddings`);
    }
    const lengths = [...new Set(answer.data.map((item) => item.embedding.length))].sort((a, b) => a - b);
    if (lengths.length > 1) {
      throw new InvalidResponseError(
        system,
        `${system} answered with vectors of different lengths (${lengths.join(' and ')} numbers) for model ${this.options.config.model}`,
      );
    }
    this.checkDimensions(lengths[0]!, 'answered');
    const byIndex: Array<Float32Array | undefined> = Array.from({ length: batch.length });
    for (const item of answer.data) {
      if (item.index >= batch.length || byIndex[item.index]) {
        throw new InvalidResponseError(
          system,
          `${system} answered with embedding index ${item.index} out of place for ${batch.length} texts`,
        );
      }
      byIndex[item.index] = Float32Array.from(item.embedding);
    }
    return byIndex as Float32Array[];
  }

  /** Every vector of one model has one length: the first one seen (from the service or the cache) sets it. */
  private checkDimensions(length: number, source: 'answered' | 'cached'): void {
    this.dimensions ??= length;
    if (length === this.dimensions) return;
    throw new InvalidResponseError(
      system,
      `${system} ${source === 'answered' ? 'answered with vectors' : 'has cached vectors'} of ${length} numbers where model ${this.options.config.model} gave ${this.dimensions} before; ` +
        'check matcher.embeddings.url and model (the embeddings cache in the data directory can be deleted: it is only a cache)',
    );
  }

  /**
   * Refusals in an operator's words. The body reaching here is already cleaned of every text sent
   * (HttpSystem); the key is cut out too, and a 401's message is not quoted at all.
   */
  private refusal(status: number, body: unknown): Error | undefined {
    const { apiKeyEnv, model } = this.options.config;
    if (status === 401 || status === 403) {
      // OpenAI's 401 message quotes part of the key: only the error code is kept.
      const code = errorCode(body);
      const what = apiKeyEnv
        ? `Check the key in the environment variable ${apiKeyEnv} (matcher.embeddings.apiKeyEnv) on the worker and restart it`
        : 'The service wants a key: put it in an environment variable on the worker and name that variable in matcher.embeddings.apiKeyEnv';
      return new AuthenticationError(
        system,
        `${system} refused the bridge's API key (${status}${code ? ` ${code}` : ''}). ${what}; retrying will not help.`,
      );
    }
    if (status === 429) return undefined; // HttpSystem's own handling: Retry-After, the pacer's back-off, the metric.
    // OpenAI-compatible errors are `{ error: { message, type, param, code } }`.
    const inner =
      body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'object'
        ? (body as { error: unknown }).error
        : body;
    const said = refusalDetail(inner);
    const detail = this.options.apiKey ? withoutSentValues(said, [this.options.apiKey]) : said;
    const because = detail ? `: ${detail}` : '';
    if (status >= 500) return new SystemUnavailableError(system, `${system} failed with ${status}${because}`);
    if (status === 404) {
      return new RequestRejectedError(
        system,
        status,
        `${system} has no embeddings endpoint or no model '${model}' (404${because}). Check matcher.embeddings.url and model.`,
      );
    }
    return new RequestRejectedError(system, status, `${system} refused the texts it was sent (${status}${because})`);
  }

  /** OpenAI's `x-ratelimit-remaining-requests: 0` means the window is spent: wait for its reset. */
  private observeLimits(status: number, headers: Headers): void {
    if (status === 429) return;
    if (headers.get('x-ratelimit-remaining-requests') !== '0') return;
    const resetMs = durationMs(headers.get('x-ratelimit-reset-requests'));
    if (resetMs !== undefined) this.pacer.backOff(resetMs);
  }
}

/** requestsPerSecond as the pacer's window: 5 a second is 50 per 10 s; below 0.1 a second, one per interval. */
function rateLimitOf(requestsPerSecond: number): RateLimit {
  const requests = Math.round(requestsPerSecond * 10);
  return requests >= 1 ? { requests, perMs: 10_000 } : { requests: 1, perMs: Math.ceil(1000 / requestsPerSecond) };
}

/** OpenAI's reset durations: "1s", "6m0s", "12ms", "0.5s". */
function durationMs(text: string | null): number | undefined {
  if (!text) return undefined;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let matched = '';
  for (const [part, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * units[unit!]!;
    matched += part;
  }
  return matched === text.trim() && matched ? Math.ceil(total) : undefined;
}

function errorCode(body: unknown): string | undefined {
  const error = body && typeof body === 'object' ? (body as { error?: unknown }).error : undefined;
  const code = error && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Za-z_.-]{2,64}$/.test(code) ? code : undefined;
}

/** Cosine similarity as a score in 0..1 (rounded to 3 places, so a cached and a fresh run agree); 0 without a vector. */
function similarityOf(a: Float32Array | Float64Array, b: Float32Array | Float64Array | undefined): number {
  if (!b) return 0;
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  if (aa === 0 || bb === 0) return 0;
  const cosine = dot / Math.sqrt(aa * bb);
  return Math.round(Math.min(1, Math.max(0, cosine)) * 1000) / 1000;
}

/** The mean of the vectors, each scaled to length 1 first so a long text does not outweigh a short one. */
function centreOf(vectors: Float32Array[]): Float64Array {
  const centre = new Float64Array(vectors[0]!.length);
  for (const vector of vectors) {
    let norm = 0;
    for (const value of vector) norm += value * value;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < centre.length; i++) centre[i]! += vector[i]! / norm / vectors.length;
  }
  return centre;
}

import { createHash } from 'node:crypto';
import Fastify from 'fastify';

/**
 * A fake of the OpenAI-compatible embeddings API, `POST /v1/embeddings`. Sources:
 * - request `{ model, input: string | string[] }`; input must not be an empty string, an array holds
 *   at most 2048 inputs, an input at most 8192 tokens:
 *   https://developers.openai.com/api/reference/resources/embeddings.md
 * - answer `{ object: 'list', data: [{ object: 'embedding', index, embedding: number[] }], model,
 *   usage: { prompt_tokens, total_tokens } }`, `index` being the input's place in the list:
 *   https://developers.openai.com/api/reference/go/resources/embeddings. The reference does not
 *   promise `data` in input order, so this fake answers it reversed: clients must sort by index.
 * - errors `{ error: { message, type, param, code } }`; 401 "Incorrect API key provided" (the message
 *   quotes part of the key), 429 "Rate limit reached for requests", 500/503 on the server's side:
 *   https://platform.openai.com/docs/guides/error-codes
 * - 429 with Retry-After, and `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests`,
 *   `x-ratelimit-reset-requests` ("1s", "6m0s") on every answer:
 *   https://platform.openai.com/docs/guides/rate-limits (header names as answered by the API, quoted in
 *   https://community.openai.com/t/how-to-get-rate-limit-reset-time-for-response-api/1268905)
 * - 400 invalid_request_error for an input over the model's context length. The fake counts a token
 *   per 4 characters, a rough rule, not a tokenizer.
 *
 * Vectors are deterministic from the text: a hashed bag of its character trigrams (lower case), signed
 * and scaled to length 1. Texts sharing many trigrams come out close. That is all it is: figures
 * computed with this fake say nothing about the quality of a real embedding model, and it knows
 * nothing of meaning or of languages ("Excel export" and "Exportación a Excel" share few trigrams).
 */
export interface EmbeddingsFake {
  url: string;
  /** Every request's inputs, in order. */
  requests: string[][];
  /** `n` requests answer 429 with Retry-After of `retryAfterSeconds`, after `afterAnswers` more answered ones. */
  rateLimitNext(n: number, retryAfterSeconds?: number, afterAnswers?: number): void;
  /** From now on: answer normally, fail with 503, or answer malformed in one of three ways. */
  setMode(mode: FakeMode): void;
  /** Stops answering after `n` more answered requests (503 from then on). */
  failAfter(n: number): void;
  close(): Promise<void>;
}

type FakeMode = 'ok' | 'unavailable' | 'missing-data' | 'wrong-dimension' | 'nan';

const maxInputs = 2048;
const maxTokens = 8192;

export function fakeEmbedding(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const padded = ` ${text.toLowerCase()} `;
  const characters = [...padded];
  for (let i = 0; i + 3 <= characters.length; i++) {
    const digest = createHash('sha256')
      .update(characters.slice(i, i + 3).join(''))
      .digest();
    const bucket = digest.readUInt32BE(0) % dimensions;
    vector[bucket]! += digest[4]! & 1 ? 1 : -1;
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
  return vector.map((value) => value / norm);
}

const openAiError = (message: string, type: string, code: string | null) => ({ error: { message, type, param: null, code } });

export async function startEmbeddingsFake(options: { apiKey?: string; dimensions?: number } = {}): Promise<EmbeddingsFake> {
  const dimensions = options.dimensions ?? 64;
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  const requests: string[][] = [];
  let rateLimited = 0;
  let retryAfter = 1;
  let answersBeforeLimit = 0;
  let mode: FakeMode = 'ok';
  let answersLeft = Number.POSITIVE_INFINITY;

  app.post('/v1/embeddings', async (request, reply) => {
    const limits = { 'x-ratelimit-limit-requests': '3000', 'x-ratelimit-reset-requests': '20ms' };
    if (options.apiKey && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      const sent = (request.headers.authorization ?? '').replace(/^Bearer /, '');
      const masked = sent.length > 8 ? `${sent.slice(0, 3)}***${sent.slice(-4)}` : '***';
      return reply
        .code(401)
        .send(
          openAiError(
            `Incorrect API key provided: ${masked}. You can find your API key in your account.`,
            'invalid_request_error',
            'invalid_api_key',
          ),
        );
    }
    const body = request.body as { model?: unknown; input?: unknown };
    const input = typeof body?.input === 'string' ? [body.input] : body?.input;
    requests.push(Array.isArray(input) ? input.map(String) : []);
    if (rateLimited > 0 && answersBeforeLimit-- <= 0) {
      rateLimited -= 1;
      return reply
        .code(429)
        .headers({ ...limits, 'x-ratelimit-remaining-requests': '0', 'retry-after': String(retryAfter) })
        .send(openAiError('Rate limit reached for requests', 'requests', 'rate_limit_exceeded'));
    }
    if (mode === 'unavailable' || answersLeft <= 0) {
      return reply.code(503).send(openAiError('The server is overloaded or not ready yet.', 'server_error', null));
    }
    if (typeof body?.model !== 'string' || !Array.isArray(input) || input.length === 0 || input.length > maxInputs) {
      return reply
        .code(400)
        .send(openAiError(`'input' must be a string or an array of 1 to ${maxInputs} strings`, 'invalid_request_error', null));
    }
    if (input.some((text) => typeof text !== 'string' || text.length === 0)) {
      return reply.code(400).send(openAiError("'$.input' is invalid: an input cannot be an empty string", 'invalid_request_error', null));
    }
    const tokens = (input as string[]).map((text) => Math.ceil(text.length / 4));
    const longest = Math.max(...tokens);
    if (longest > maxTokens) {
      return reply
        .code(400)
        .send(
          openAiError(
            `This model's maximum context length is ${maxTokens} tokens, however you requested ${longest} tokens. Please reduce your prompt.`,
            'invalid_request_error',
            null,
          ),
        );
    }
    answersLeft -= 1;
    const data = (input as string[])
      .map((text, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(text, dimensions) }))
      .reverse();
    const total = tokens.reduce((sum, n) => sum + n, 0);
    void reply.headers({ ...limits, 'x-ratelimit-remaining-requests': '2999' });
    if (mode === 'missing-data') return { object: 'list', model: body.model, usage: { prompt_tokens: total, total_tokens: total } };
    if (mode === 'wrong-dimension') data[0]!.embedding = data[0]!.embedding.slice(1);
    const answer = { object: 'list', data, model: body.model, usage: { prompt_tokens: total, total_tokens: total } };
    if (mode === 'nan') {
      // Not JSON: what a broken proxy or model server might send. JSON has no NaN.
      return reply.type('application/json').send(JSON.stringify(answer).replace(/("embedding":\[)[^,\]]+/, '$1NaN'));
    }
    return answer;
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    rateLimitNext(n, retryAfterSeconds = 1, afterAnswers = 0) {
      rateLimited = n;
      retryAfter = retryAfterSeconds;
      answersBeforeLimit = afterAnswers;
    },
    setMode(next) {
      mode = next;
    },
    failAfter(n) {
      answersLeft = n;
    },
    close: () => app.close(),
  };
}

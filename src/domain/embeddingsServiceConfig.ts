import { z } from 'zod';

/**
 * The embeddings service of the semantic matcher (demandSyncs[].matcher.embeddings): any service that
 * speaks the OpenAI-compatible `POST /embeddings` API (OpenAI, Azure OpenAI's v1 API, Ollama, vLLM).
 * The key is never written here: `apiKeyEnv` names the environment variable that holds it.
 */
export const embeddingsServiceSchema = z
  .object({
    /** The API's base URL, the part before `/embeddings`: https://api.openai.com/v1, http://localhost:11434/v1 (Ollama). */
    url: z.url({ message: 'expected the http(s) base URL of the API, such as https://api.openai.com/v1' }),
    /** The model (or, on Azure, the deployment) that embeds the texts, e.g. text-embedding-3-small. */
    model: z.string().trim().min(1, 'name the embedding model, e.g. text-embedding-3-small'),
    /** The environment variable holding the API key; absent for a service without keys (a local Ollama or vLLM). */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected the name of an environment variable, such as OPENAI_API_KEY')
      .optional(),
    /** Texts per request. OpenAI takes at most 2048 inputs per request. */
    batchSize: z.number().int().min(1).max(2048).default(64),
    /** Requests per second the bridge sends at most; a 429 makes it wait as long as the service asks. */
    requestsPerSecond: z.number().positive().max(1000).default(5),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    /**
     * Longer texts are cut to this many characters before they are embedded: models take a limited
     * number of tokens per input (8192 at OpenAI), and the gist of a demand is in its first lines.
     */
    maxInputChars: z.number().int().min(100).max(100_000).default(2_000),
    /** Most embeddings kept in the cache file under the data directory; the least recently used go first. */
    cacheEntries: z.number().int().min(100).max(10_000_000).default(50_000),
  })
  .strict();
export type EmbeddingsServiceConfig = z.infer<typeof embeddingsServiceSchema>;

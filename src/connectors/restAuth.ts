import { z } from 'zod';
import type { AuthProvider } from './httpClient';
import { OAuthTokenProvider } from './oauthToken';
import { resolveSecret, secretSchema } from './secret';

/** How a configured REST system authenticates. Secrets are `{ env: NAME }` or a literal string. */
export const restAuthSchema = z.discriminatedUnion('type', [
  /** Bearer token: `token` here, or the system's `token` (PMS_TOKEN / CRM_TOKEN for pms / crm). */
  z.object({ type: z.literal('bearer'), token: secretSchema.optional() }).strict(),
  z.object({ type: z.literal('basic'), username: z.string().min(1), password: secretSchema }).strict(),
  z.object({ type: z.literal('api-key'), header: z.string().min(1).default('X-API-Key'), key: secretSchema }).strict(),
  z
    .object({
      type: z.literal('oauth2-client-credentials'),
      tokenUrl: z.url(),
      clientId: z.string().min(1),
      clientSecret: secretSchema,
      scope: z.string().min(1).optional(),
      /** 'body': client_id and client_secret in the form; 'basic': in an Authorization header. */
      clientAuthentication: z.enum(['body', 'basic']).default('body'),
    })
    .strict(),
]);
export type RestAuthConfig = z.infer<typeof restAuthSchema>;

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export function staticHeaders(headers: Record<string, string>): AuthProvider {
  return { headers: () => Promise.resolve(headers) };
}

/** The AuthProvider for a configured system; secrets are read here, once, into the worker's memory. */
export function restAuthProvider(
  auth: RestAuthConfig,
  context: { system: string; token?: string; timeoutMs: number; env: NodeJS.ProcessEnv },
): AuthProvider {
  const where = `The ${context.system} credential`;
  switch (auth.type) {
    case 'bearer': {
      const token = auth.token ? resolveSecret(auth.token, context.env, where) : context.token;
      if (!token) throw new Error(`${where} is missing: set auth.token (e.g. { env: MY_TOKEN }) or the system's token.`);
      return staticHeaders({ authorization: `Bearer ${token}` });
    }
    case 'basic': {
      const header = basicHeader(auth.username, resolveSecret(auth.password, context.env, where));
      return staticHeaders({ authorization: header });
    }
    case 'api-key': {
      const key = resolveSecret(auth.key, context.env, where);
      return staticHeaders({ [auth.header.toLowerCase()]: key });
    }
    case 'oauth2-client-credentials': {
      const secret = resolveSecret(auth.clientSecret, context.env, where);
      const inBody = auth.clientAuthentication === 'body';
      return new OAuthTokenProvider(
        {
          system: context.system,
          tokenUrl: auth.tokenUrl,
          timeoutMs: context.timeoutMs,
          clientHeaders: inBody ? {} : { authorization: basicHeader(auth.clientId, secret) },
        },
        {
          grant_type: 'client_credentials',
          ...(inBody ? { client_id: auth.clientId, client_secret: secret } : {}),
          ...(auth.scope ? { scope: auth.scope } : {}),
        },
      );
    }
  }
}

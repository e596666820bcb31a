import { z } from 'zod';
import { AuthenticationError } from '../shared/systemErrors';
import { HttpSystem, type AuthProvider } from './httpClient';

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
  refresh_token: z.string().min(1).optional(),
});
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

export interface TokenEndpoint {
  /** Name used in errors, e.g. "Akeneo". */
  system: string;
  tokenUrl: string;
  timeoutMs: number;
  /** Client authentication headers for the token endpoint (e.g. Basic client_id:secret), if any. */
  clientHeaders?: Record<string, string>;
  /** 'form' (RFC 6749) or 'json' (Akeneo accepts both; some in-house servers only JSON). */
  encoding?: 'form' | 'json';
}

/** Refresh a little before the server's expiry, so a request never leaves with a token about to die. */
const expiryMarginMs = 30_000;
const defaultLifetimeMs = 3_600_000;

/**
 * An OAuth2 access token obtained with a grant (client credentials, password) and kept until it
 * expires; refreshed with the refresh token when the server gave one, else obtained anew.
 */
export class OAuthTokenProvider implements AuthProvider {
  private readonly http: HttpSystem;
  private token: { access: string; refresh?: string; expiresAt: number } | undefined;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly endpoint: TokenEndpoint,
    private readonly grant: Record<string, string>,
    private readonly now: () => number = Date.now,
  ) {
    this.http = new HttpSystem({
      system: endpoint.system,
      baseUrl: endpoint.tokenUrl,
      auth: { headers: () => Promise.resolve(endpoint.clientHeaders ?? {}) },
      timeoutMs: endpoint.timeoutMs,
      classifyError: (status, body) =>
        status === 400 || status === 401 || status === 403 || status === 422
          ? new AuthenticationError(
              endpoint.system,
              `${endpoint.system} refused to issue an access token (${status}${describeOAuthError(body)}). Check the client id, secret and user credentials in the configuration; retrying will not help.`,
            )
          : undefined,
    });
  }

  async headers(): Promise<Record<string, string>> {
    if (!this.token || this.now() >= this.token.expiresAt) await this.obtain();
    return { authorization: `Bearer ${this.token!.access}` };
  }

  async refresh(): Promise<boolean> {
    await this.obtain();
    return true;
  }

  /** One token request at a time: concurrent callers share it. */
  private obtain(): Promise<void> {
    this.pending ??= this.request().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async request(): Promise<void> {
    const refreshToken = this.token?.refresh;
    const grant = refreshToken ? { grant_type: 'refresh_token', refresh_token: refreshToken } : this.grant;
    let response: TokenResponse;
    try {
      response = await this.post(grant);
    } catch (error) {
      // A refresh token can expire too; fall back to the original grant once.
      if (!(error instanceof AuthenticationError) || grant === this.grant) throw error;
      response = await this.post(this.grant);
    }
    this.token = {
      access: response.access_token,
      refresh: response.refresh_token ?? refreshToken,
      expiresAt: this.now() + (response.expires_in ? response.expires_in * 1000 : defaultLifetimeMs) - expiryMarginMs,
    };
  }

  private post(grant: Record<string, string>): Promise<TokenResponse> {
    const json = this.endpoint.encoding === 'json';
    return this.http.request({
      method: 'POST',
      path: this.endpoint.tokenUrl,
      ...(json ? { body: grant } : { form: grant }),
      schema: tokenResponseSchema,
    });
  }
}

function describeOAuthError(body: unknown): string {
  if (body && typeof body === 'object') {
    const { error, error_description: description, message } = body as Record<string, unknown>;
    const text = [error, description ?? message].filter((part) => typeof part === 'string').join(': ');
    if (text) return `: ${text}`;
  }
  return '';
}

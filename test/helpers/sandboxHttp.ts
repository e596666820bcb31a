import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A sandbox response as the tests look at it: the body is parsed JSON, undefined when empty. */
export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface CallOptions {
  /** Sent as JSON; a string is sent as it is, so a test can send malformed JSON. */
  body?: unknown;
  /** Replaces the default token; null sends no Authorization header at all. */
  token?: string | null;
}

export type Call = (baseUrl: string, method: string, route: string, options?: CallOptions) => Promise<Answer>;

/** A raw HTTP client for a sandbox API that sends `defaultToken` unless a call says otherwise. */
export function apiCaller(defaultToken: string): Call {
  return async (baseUrl, method, route, options = {}) => {
    const bearer = options.token === undefined ? defaultToken : options.token;
    const response = await fetch(`${baseUrl}${route}`, {
      method,
      headers: {
        ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
}

function makeTempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs `body` with a fresh temporary directory and removes the directory afterwards, even on failure. */
export async function withTempDir<T>(prefix: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = makeTempDir(prefix);
  try {
    return await body(dir);
  } finally {
    removeTempDir(dir);
  }
}

interface ListeningServer {
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface StartedServer<S> {
  server: S;
  baseUrl: string;
  /** Closes the server before removing its directory, so the database file is no longer open. */
  stop: () => Promise<void>;
}

/** Starts the server `create` makes with its files in a fresh temporary directory. */
export async function startInTempDir<S extends ListeningServer>(prefix: string, create: (dir: string) => S): Promise<StartedServer<S>> {
  const dir = makeTempDir(prefix);
  const server = create(dir);
  const baseUrl = await server.listen();
  return {
    server,
    baseUrl,
    stop: async () => {
      await server.close();
      removeTempDir(dir);
    },
  };
}

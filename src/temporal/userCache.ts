import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** The per-user cache outside the repository for built tools: a fresh clone reuses it, and no binary is ever committed. */
export function userCacheDir(env: NodeJS.ProcessEnv, ...parts: string[]): string {
  const base = env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache');
  return path.join(base, 'crm-pms-bridge', ...parts);
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

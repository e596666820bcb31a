import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { userCacheDir } from './userCache';

/** One lock for every Temporal build (CLI, server, UI): two at once would only fight over the cores and the module cache. */
export function temporalBuildLockDir(env: NodeJS.ProcessEnv): string {
  return userCacheDir(env, 'temporal-build.lock');
}

interface LockOwner {
  pid: number;
  host: string;
  what: string;
  since: string;
}

function readOwner(lockDir: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path.join(lockDir, 'owner.json'), 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock left by a process of this machine that is gone (killed mid-build), or one that never got its owner file. */
function isStale(lockDir: string, owner: LockOwner | undefined, firstSeen: number): boolean {
  if (!owner) return Date.now() - firstSeen > 30_000;
  return owner.host === hostname() && !processAlive(owner.pid);
}

/**
 * Runs `build` while holding a lock directory in the per-user cache, so two processes (a test run
 * and `npm start`, say) never build the same tool at once: the second one waits, then finds the
 * first one's result. mkdir is atomic, and a lock whose process died is taken over.
 */
export async function withBuildLock<T>(lockDir: string, what: string, log: (line: string) => void, build: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(lockDir), { recursive: true });
  const firstSeen = Date.now();
  let lastNotice = 0;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(lockDir);
    if (isStale(lockDir, owner, firstSeen)) {
      log(`Taking over the build lock ${lockDir}: ${owner ? `process ${owner.pid} that held it is gone` : 'it has no owner'}.`);
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - lastNotice > 60_000) {
      lastNotice = Date.now();
      const who = owner ? `process ${owner.pid} (${owner.what}, since ${owner.since})` : 'another process';
      log(`Waiting for ${who} to finish building; the lock is ${lockDir}.`);
    }
    await sleep(2_000);
  }
  const owner: LockOwner = { pid: process.pid, host: hostname(), what, since: new Date().toISOString() };
  writeFileSync(path.join(lockDir, 'owner.json'), JSON.stringify(owner));
  try {
    return await build();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

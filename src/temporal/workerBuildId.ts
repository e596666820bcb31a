import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkerConfig } from '../config/workerSchema';

const root = path.join(__dirname, '../..');
/** What the workflow bundle is built from: the workflows and the shared code they import. */
const bundleSourceDirs = ['workflows', 'src/shared'];

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort();
}

/**
 * `<package version>+<first 12 hex digits of a SHA-256 over the workflow sources>`, e.g.
 * `0.1.0+3f2a9c81d0e4`: two workers of the same code share a build id, and any change to a
 * workflow or to the shared code it bundles gives a new one, without anyone bumping a number.
 */
export function derivedBuildId(): string {
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  const hash = createHash('sha256');
  for (const file of bundleSourceDirs.flatMap(sourceFiles)) {
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(path.join(root, file)))
      .update('\0');
  }
  return `${version}+${hash.digest('hex').slice(0, 12)}`;
}

/** The version this worker declares: the configured build id (BRIDGE_BUILD_ID) or the derived one. */
export function workerVersion(worker: Pick<WorkerConfig, 'deploymentName' | 'buildId'>): { deploymentName: string; buildId: string } {
  return { deploymentName: worker.deploymentName, buildId: worker.buildId ?? derivedBuildId() };
}

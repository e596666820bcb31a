import { ensureTemporalCli, type LocatedCli } from './temporalCli';
import {
  ensureTemporalServer,
  ensureTemporalUiServer,
  temporalServerVersion,
  temporalUiVersion,
  type TemporalServerBuild,
  type TemporalUiBuild,
} from './temporalServerBuild';

/**
 * Which local Temporal `npm start`, the tests, the chaos suite and the benchmark run
 * (BRIDGE_LOCAL_TEMPORAL):
 * - `server`: the Temporal server and Web UI built from the Go module proxy; a failed build stops
 *   everything (what CI uses);
 * - `cli`: the Temporal CLI v1.5.1's dev server (server 1.29.1, UI 2.42.1), nothing else built;
 * - unset (`auto`): the built server, and when it cannot be built, the CLI's dev server with a loud
 *   notice saying why and what is missing.
 */
export type LocalTemporalMode = 'server' | 'cli' | 'auto';

export function localTemporalMode(env: NodeJS.ProcessEnv = process.env): LocalTemporalMode {
  const value = env.BRIDGE_LOCAL_TEMPORAL?.trim();
  if (!value) return 'auto';
  if (value === 'server' || value === 'cli') return value;
  throw new Error(
    `BRIDGE_LOCAL_TEMPORAL is '${value}': use 'server' (Temporal ${temporalServerVersion} built from the Go module proxy), ` +
      "'cli' (the Temporal CLI's dev server, server 1.29.1), or leave it unset (the built server, else the CLI's).",
  );
}

export type LocalTemporalBinaries =
  | { kind: 'server'; server: TemporalServerBuild; ui?: TemporalUiBuild; description: string }
  | { kind: 'cli'; cli: LocatedCli; description: string; reason: string };

const cliDevServerDescription = 'Temporal CLI v1.5.1 dev server (server 1.29.1, Web UI 2.42.1)';
export const builtServerDescription = `Temporal server ${temporalServerVersion}, Web UI ${temporalUiVersion}`;

function banner(lines: string[]): string {
  const rule = '*'.repeat(100);
  return [rule, ...lines.map((line) => `* ${line}`), rule].join('\n');
}

/**
 * Finds or builds the binaries of the local Temporal, per BRIDGE_LOCAL_TEMPORAL. `ui`: also the
 * Web UI server (`npm start`); tests need none.
 */
export async function ensureLocalTemporal(
  options: { ui: boolean; env?: NodeJS.ProcessEnv; log?: (line: string) => void } = { ui: false },
): Promise<LocalTemporalBinaries> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const mode = localTemporalMode(env);
  if (mode === 'cli') {
    const cli = await ensureTemporalCli({ env, log });
    return { kind: 'cli', cli, description: cliDevServerDescription, reason: 'BRIDGE_LOCAL_TEMPORAL=cli' };
  }
  try {
    const server = await ensureTemporalServer({ env, log });
    const ui = options.ui ? await ensureTemporalUiServer({ env, log }) : undefined;
    return { kind: 'server', server, ui, description: builtServerDescription };
  } catch (error) {
    if (mode === 'server') throw error;
    const reason = (error as Error).message;
    log(
      banner([
        `The Temporal server ${temporalServerVersion} / Web UI ${temporalUiVersion} could not be built, so this runs on the`,
        `${cliDevServerDescription} instead.`,
        'On it, the Web UI cannot pause, unpause or reset activities, and task-queue fairness and worker',
        'deployments are missing or older. Why the build failed:',
        ...reason.split('\n'),
        'Set BRIDGE_LOCAL_TEMPORAL=cli to choose the dev server on purpose (no build, no notice).',
      ]),
    );
    const cli = await ensureTemporalCli({ env, log });
    return { kind: 'cli', cli, description: cliDevServerDescription, reason };
  }
}

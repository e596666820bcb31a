import { ensureLocalTemporal, localTemporalMode } from './localTemporalBinaries';
import { ensureTemporalCli } from './temporalCli';

const took = (ms: number | undefined) => (ms === undefined ? '' : ` (obtained in ${(ms / 60_000).toFixed(1)} min)`);

/**
 * `npm run temporal:install` (run by `npm test` and `.ci/run`): makes sure everything the local
 * Temporal needs is in the per-user cache, building what is missing, and says where it is: the
 * Temporal CLI (the operator's `temporal` command, and the dev server of BRIDGE_LOCAL_TEMPORAL=cli),
 * then the Temporal server, its SQL tool and the Web UI server.
 */
async function main(): Promise<void> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const cli = await ensureTemporalCli();
  say(`Temporal CLI: ${cli.path} [${cli.source}]${took(cli.tookMs)}`);
  if (localTemporalMode() === 'cli') {
    say('BRIDGE_LOCAL_TEMPORAL=cli: the local Temporal is the CLI dev server; nothing else to build.');
    return;
  }
  const local = await ensureLocalTemporal({ ui: true });
  if (local.kind === 'server') {
    say(`Temporal server: ${local.server.serverPath} [${local.server.source}]${took(local.server.tookMs)}`);
    say(`Temporal SQL tool: ${local.server.sqlToolPath}`);
    if (local.ui) say(`Temporal Web UI server: ${local.ui.uiServerPath} [${local.ui.source}]${took(local.ui.tookMs)}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});

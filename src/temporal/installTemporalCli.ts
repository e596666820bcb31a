import { ensureTemporalCli } from './temporalCli';

/** `npm run temporal:install`: makes sure a Temporal CLI is available and says where it is. */
async function main(): Promise<void> {
  const cli = await ensureTemporalCli();
  const took = cli.tookMs === undefined ? '' : ` (obtained in ${(cli.tookMs / 1000).toFixed(1)} s)`;
  process.stderr.write(`Temporal CLI: ${cli.path} [${cli.source}]${took}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});

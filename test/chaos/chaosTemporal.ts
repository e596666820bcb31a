import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { createLogger } from '../../src/logging/logger';
import { freePorts } from '../../src/temporal/freePorts';
import { startLocalTemporal, type LocalTemporal } from '../../src/temporal/localTemporal';
import { ensureLocalTemporal } from '../../src/temporal/localTemporalBinaries';

/**
 * The local Temporal server (the one `npm start` runs) whose history lives in a database file, so
 * it can be stopped and started again on the same ports in the middle of a run, as a real server
 * restart or crash would.
 */
export interface ChaosTemporal {
  address: string;
  client: Client;
  /** Stops the server (SIGKILL when `crash`), waits `downMs`, starts it again on the same file and port. */
  restart(options: { downMs: number; crash: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export async function startChaosTemporal(): Promise<ChaosTemporal> {
  const binaries = await ensureLocalTemporal({ ui: false });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bridge-chaos-temporal-'));
  const [port] = await freePorts(1);
  const logger = createLogger('chaos-temporal', { level: 'error' });
  const start = (previous?: LocalTemporal): Promise<LocalTemporal> =>
    startLocalTemporal({ binaries, dataDir, port: port!, namespace: 'default', logger, serverPorts: previous?.serverPorts });
  let server = await start();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  return {
    address: server.address,
    client,
    restart: async ({ downMs, crash }) => {
      await (crash ? server.kill() : server.stop());
      await sleep(downMs);
      server = await start(server);
    },
    stop: async () => {
      await connection.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

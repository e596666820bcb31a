import net from 'node:net';

function listenOn(port: number, host: string): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => resolve(server));
  });
}

/**
 * Ports nobody listens on right now, all distinct, from [min, max] (Temporal stores membership
 * ports as a SQL smallint, so they must stay under 32768, below Linux's ephemeral range). Each is
 * held open until every one is found, then released for the caller to bind.
 */
export async function freePorts(count: number, range = { min: 20_000, max: 32_767 }, host = '127.0.0.1'): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let attempt = 0; servers.length < count; attempt += 1) {
      if (attempt > count * 50) throw new Error(`Could not find ${count} free ports between ${range.min} and ${range.max}.`);
      const port = range.min + Math.floor(Math.random() * (range.max - range.min + 1));
      const server = await listenOn(port, host);
      if (server) servers.push(server);
    }
    return servers.map((server) => (server.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** True when something accepts TCP connections on the port. */
export function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

import type { FastifyInstance } from 'fastify';

/** A small fastify server the product runs beside the worker (codec server, webhook receiver). */
export interface ListenableServer {
  app: FastifyInstance;
  /** Starts listening (port 0: any free port) and answers the server's base URL. */
  listen: (port?: number, host?: string) => Promise<string>;
  close: () => Promise<void>;
}

export function listenable(app: FastifyInstance): ListenableServer {
  return {
    app,
    listen: async (port = 0, host = '127.0.0.1') => {
      await app.listen({ port, host });
      const address = app.server.address();
      return `http://${host}:${typeof address === 'object' && address ? address.port : port}`;
    },
    close: () => app.close(),
  };
}

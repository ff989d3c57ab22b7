import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import type { ApiDeps } from './deps.js';

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

/** Listens on loopback-or-all (host) and returns the URL; port 0 picks a free port (tests). */
export async function listen(deps: ApiDeps, port: number, host = '0.0.0.0'): Promise<RunningApi> {
  const server = createApp(deps).listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${address.port}`,
    close: async () => {
      server.closeIdleConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

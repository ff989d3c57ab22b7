import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { assertSafeExposure } from '../config/index.js';
import { createApp } from './app.js';
import type { ApiDeps } from './deps.js';

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

/** How a URL names the host the server listens on. */
const urlHost = (host: string) =>
  host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;

/**
 * Listens on `host` (HOST, loopback by default) and returns the URL; port 0 picks a free port (tests). Refuses
 * (ConfigError) to listen anywhere but loopback without API_TOKEN: the API would be open to the network.
 */
export async function listen(deps: ApiDeps, port: number, host = deps.config.host): Promise<RunningApi> {
  assertSafeExposure({ host, apiToken: deps.config.apiToken });
  const { app, relay, presence } = createApp(deps);
  const server = app.listen(port, host);
  await once(server, 'listening');
  relay.start();
  const address = server.address() as AddressInfo;
  return {
    url: `http://${urlHost(host)}:${address.port}`,
    close: async () => {
      presence.close();
      await relay.stop();
      server.closeIdleConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

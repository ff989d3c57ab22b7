import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config/index.js';
import { createDataConverter } from './payload-codec.js';

/** The address npm start / tests exported, else the default dev server port. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? '127.0.0.1:7233';
}

/**
 * A lazily connecting client: the API starts (and answers /readyz 503, webhooks 503) while Temporal is down,
 * and reconnects by itself when it comes back.
 */
export function createClient(config: Config): Client {
  // A short connect timeout keeps a webhook's 503 inside Zoom's 3 s answer deadline when Temporal is down.
  const connection = Connection.lazy({ address: temporalAddress(config), connectTimeout: 1_000 });
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: createDataConverter(config.payloadKeys),
  });
}

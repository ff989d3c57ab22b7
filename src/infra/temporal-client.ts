import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config/index.js';

/** The address npm start / tests exported, else the default dev server port. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? '127.0.0.1:7233';
}

/**
 * A lazily connecting client: the API starts (and answers /readyz 503, webhooks 503) while Temporal is down,
 * and reconnects by itself when it comes back.
 */
export function createClient(config: Config): Client {
  return new Client({ connection: Connection.lazy({ address: temporalAddress(config) }), namespace: config.temporal.namespace });
}

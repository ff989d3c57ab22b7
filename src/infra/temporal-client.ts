import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config/index.js';

/** The address npm start / tests exported, else the default dev server port. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? '127.0.0.1:7233';
}

export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect({ address: temporalAddress(config) });
  return new Client({ connection, namespace: config.temporal.namespace });
}

import { join } from 'node:path';
import pg from 'pg';
import { ConfigError, redactSecrets, type Config } from '../config/index.js';
import { preferredOrFreePort } from './ports.js';
import { ensureDatabase, startEmbeddedPostgres } from './postgres.js';

/** npm start's embedded server listens here when the port is free (5432 is usually a system PostgreSQL). */
const EMBEDDED_PG_PORT = 5433;

export interface ProvidedDatabase {
  url: string;
  /** Set when an embedded server was started for the caller. */
  stop?: () => Promise<void>;
}

async function checkReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    // The driver's message may quote the URL it was given: passwords masked.
    throw new ConfigError(
      `Invalid configuration:\n  DATABASE_URL: cannot connect (${redactSecrets(error instanceof Error ? error.message : String(error), process.env)})`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** DATABASE_URL when set (checked reachable), else the embedded server under DATA_DIR/postgres with database `rollcall`. */
export async function provideDatabase(config: Config, log: (line: string) => void): Promise<ProvidedDatabase> {
  if (config.databaseUrl) {
    await checkReachable(config.databaseUrl);
    return { url: config.databaseUrl };
  }
  const dataDir = join(config.dataDir, 'postgres');
  const port = await preferredOrFreePort(EMBEDDED_PG_PORT);
  log(`Starting embedded PostgreSQL on 127.0.0.1:${port} (data in ${dataDir})...`);
  const postgres = await startEmbeddedPostgres(dataDir, port, log);
  return { url: await ensureDatabase(postgres.serverUrl, 'rollcall'), stop: postgres.stop };
}

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { keptSecret } from './secrets.js';

/** What data directories made before passwords were random were initialised with. */
const LEGACY_PASSWORD = 'postgres';

/** The embedded server's superuser password file: beside its data directory (DATA_DIR/postgres.password), mode 0600. */
export const passwordFileFor = (dataDir: string) => `${resolve(dataDir)}.password`;

const randomPassword = () => randomBytes(24).toString('base64url');

export interface SuperuserPassword {
  password: string;
  /** Set for a data directory initialised with the old fixed password: changed once the server is up. */
  changeFrom?: string;
}

/**
 * The embedded server's superuser password: random, made once per data directory and kept in its file. A data
 * directory initialised before (no file, but data) still has the old fixed password until `adoptPassword`.
 */
export function superuserPassword(dataDir: string, initialised: boolean): SuperuserPassword {
  const file = passwordFileFor(dataDir);
  if (initialised && !existsSync(file)) return { password: randomPassword(), changeFrom: LEGACY_PASSWORD };
  return { password: keptSecret(file, randomPassword) };
}

/** For an old data directory: sets the new password on the running server, then keeps it. */
export async function adoptPassword(
  dataDir: string,
  port: number,
  user: string,
  secret: SuperuserPassword,
): Promise<void> {
  if (secret.changeFrom === undefined) return;
  const client = new pg.Client({ host: '127.0.0.1', port, user, password: secret.changeFrom, database: 'postgres' });
  await client.connect();
  try {
    const { rows } = await client.query<{ sql: string }>(
      'SELECT format($$ALTER ROLE %I PASSWORD %L$$, current_user, $1::text) AS sql',
      [secret.password],
    );
    await client.query(rows[0]!.sql);
  } finally {
    await client.end();
  }
  keptSecret(passwordFileFor(dataDir), () => secret.password);
}

/**
 * Cluster mode's PostgreSQL: DATABASE_URL when set, else an embedded server of its own. Temporal and Rollcall get
 * separate databases, and on the embedded server separate roles: `temporal` owns `temporal` and
 * `temporal_visibility`, `rollcall` owns `rollcall`, neither may touch the other's data.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { databaseUrlFor, startEmbeddedPostgres } from '../infra/postgres.js';

/** What the embedded server allows (PostgreSQL's default is 100); the supervisor checks its connection budget against it. */
export const EMBEDDED_MAX_CONNECTIONS = 200;

export interface ClusterDatabases {
  /** Rollcall's database (its migrations run on it). */
  rollcallUrl: string;
  /** Temporal's role and server, for the server config (POSTGRES_SEEDS, DB_PORT, POSTGRES_USER, POSTGRES_PWD). */
  temporal: {
    host: string;
    port: number;
    user: string;
    password: string;
    database: string;
    visibilityDatabase: string;
  };
  /** The server's max_connections. */
  maxConnections: number;
  /** Set when the embedded server was started here. */
  stop?: () => Promise<void>;
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (text: string) => `'${text.replaceAll("'", "''")}'`;

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureRole(client: pg.Client, role: string, password: string): Promise<void> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  const verb = rowCount ? 'ALTER' : 'CREATE';
  await client.query(`${verb} ROLE ${quoteIdent(role)} WITH LOGIN PASSWORD ${quoteLiteral(password)}`);
}

async function ensureDatabaseOwned(client: pg.Client, database: string, owner?: string): Promise<void> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (!rowCount)
    await client.query(`CREATE DATABASE ${quoteIdent(database)}${owner ? ` OWNER ${quoteIdent(owner)}` : ''}`);
  if (owner) {
    // Nobody else connects to it (PUBLIC has CONNECT by default).
    await client.query(`REVOKE ALL ON DATABASE ${quoteIdent(database)} FROM PUBLIC`);
    await client.query(`GRANT ALL ON DATABASE ${quoteIdent(database)} TO ${quoteIdent(owner)}`);
  }
}

/** Passwords of the embedded server's roles, made on first start and kept (mode 600) beside its data. */
function rolePasswords(dir: string): { temporal: string; rollcall: string } {
  const file = join(dir, 'roles.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { temporal: string; rollcall: string };
  const passwords = {
    temporal: randomBytes(18).toString('base64url'),
    rollcall: randomBytes(18).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(passwords), { mode: 0o600 });
  return passwords;
}

/** The embedded server (src/infra/postgres.ts) under `dir/postgres`, on `port`, with roles and databases. */
export async function startClusterPostgres(
  dir: string,
  port: number,
  log: (line: string) => void,
): Promise<ClusterDatabases> {
  mkdirSync(dir, { recursive: true });
  const dataDir = join(dir, 'postgres');
  let server = await startEmbeddedPostgres(dataDir, port, log);
  try {
    const maxConnections = () =>
      withClient(server.serverUrl, async (client) =>
        Number((await client.query<{ max_connections: string }>('SHOW max_connections')).rows[0]!.max_connections),
      );
    if ((await maxConnections()) < EMBEDDED_MAX_CONNECTIONS) {
      // First start: raise the limit (kept in the data directory's postgresql.auto.conf), which takes a restart.
      await withClient(server.serverUrl, (client) =>
        client.query(`ALTER SYSTEM SET max_connections = ${EMBEDDED_MAX_CONNECTIONS}`),
      );
      await server.stop();
      server = await startEmbeddedPostgres(dataDir, port, log);
    }
    const passwords = rolePasswords(dir);
    await withClient(server.serverUrl, async (client) => {
      await ensureRole(client, 'temporal', passwords.temporal);
      await ensureRole(client, 'rollcall', passwords.rollcall);
      for (const database of ['temporal', 'temporal_visibility'])
        await ensureDatabaseOwned(client, database, 'temporal');
      await ensureDatabaseOwned(client, 'rollcall', 'rollcall');
    });
    const rollcallUrl = new URL(databaseUrlFor(server.serverUrl, 'rollcall'));
    rollcallUrl.username = 'rollcall';
    rollcallUrl.password = passwords.rollcall;
    const running = server;
    return {
      rollcallUrl: rollcallUrl.toString(),
      temporal: {
        host: '127.0.0.1',
        port,
        user: 'temporal',
        password: passwords.temporal,
        database: 'temporal',
        visibilityDatabase: 'temporal_visibility',
      },
      maxConnections: await maxConnections(),
      stop: () => running.stop(),
    };
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw error;
  }
}

/**
 * DATABASE_URL's server, as docker-compose.yml uses its PostgreSQL: Rollcall in DATABASE_URL's database, Temporal
 * in `temporal` and `temporal_visibility` beside it with the same role (created when missing: the role needs
 * CREATEDB, or a DBA creates them first).
 */
export async function externalPostgres(databaseUrl: string): Promise<ClusterDatabases> {
  const url = new URL(databaseUrl);
  const maxConnections = await withClient(databaseUrl, async (client) => {
    for (const database of ['temporal', 'temporal_visibility']) {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (!rowCount) await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
    }
    return Number((await client.query<{ max_connections: string }>('SHOW max_connections')).rows[0]!.max_connections);
  });
  return {
    rollcallUrl: databaseUrl,
    temporal: {
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: 'temporal',
      visibilityDatabase: 'temporal_visibility',
    },
    maxConnections,
  };
}

